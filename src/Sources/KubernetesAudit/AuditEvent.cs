using PolicyTrail.Sources.Formats;
using System.Globalization;
using System.Text.Json;

namespace PolicyTrail.Sources.KubernetesAudit;

/// <summary>
/// The fields of one audit.k8s.io Event that PolicyTrail uses, read with Utf8JsonReader. Field names follow
/// k8s.io/apiserver/pkg/apis/audit/v1/types.go; v1beta1 adds "timestamp" (seconds) and "metadata", which v1 removed.
/// The request and response objects are kept as byte ranges of the line, not decoded.
/// </summary>
internal sealed class AuditEvent
{
    public string? Kind { get; set; }
    public string? ApiVersion { get; set; }
    public string? AuditId { get; set; }
    public string? Stage { get; set; }
    public string? RequestUri { get; set; }
    public string? Verb { get; set; }
    public string? Username { get; set; }
    public List<string>? Groups { get; set; }
    public string? ImpersonatedUser { get; set; }
    public bool HasObjectRef { get; set; }
    public string? Resource { get; set; }
    public string? Namespace { get; set; }
    public string? Name { get; set; }
    public string? ApiGroup { get; set; }
    public string? ObjectApiVersion { get; set; }
    public string? Subresource { get; set; }
    public int? ResponseCode { get; set; }
    public string? BadResponseCode { get; set; }
    public (int Start, int Length)? RequestObject { get; set; }
    public (int Start, int Length)? ResponseObject { get; set; }
    public string? StageTimestamp { get; set; }
    public string? RequestReceivedTimestamp { get; set; }
    public string? Timestamp { get; set; }

    /// <summary>Reads an Event object (reader on its StartObject) up to its EndObject.</summary>
    public static AuditEvent Read(ref Utf8JsonReader r)
    {
        var e = new AuditEvent();
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            e.ReadProperty(ref r);
        }
        return e;
    }

    /// <summary>Reads one Event property (reader on its name) and its value; unknown properties are skipped.</summary>
    public void ReadProperty(ref Utf8JsonReader r)
    {
        if (r.ValueTextEquals("kind"u8)) { r.Read(); Kind = JsonValues.StringOrNull(ref r); }
        else if (r.ValueTextEquals("apiVersion"u8)) { r.Read(); ApiVersion = JsonValues.StringOrNull(ref r); }
        else if (r.ValueTextEquals("auditID"u8)) { r.Read(); AuditId = JsonValues.StringOrNull(ref r); }
        else if (r.ValueTextEquals("stage"u8)) { r.Read(); Stage = JsonValues.StringOrNull(ref r); }
        else if (r.ValueTextEquals("requestURI"u8)) { r.Read(); RequestUri = JsonValues.StringOrNull(ref r); }
        else if (r.ValueTextEquals("verb"u8)) { r.Read(); Verb = JsonValues.StringOrNull(ref r); }
        else if (r.ValueTextEquals("user"u8)) { r.Read(); ReadUser(ref r, impersonated: false); }
        else if (r.ValueTextEquals("impersonatedUser"u8)) { r.Read(); ReadUser(ref r, impersonated: true); }
        else if (r.ValueTextEquals("objectRef"u8)) { r.Read(); ReadObjectRef(ref r); }
        else if (r.ValueTextEquals("responseStatus"u8)) { r.Read(); ReadResponseStatus(ref r); }
        else if (r.ValueTextEquals("requestObject"u8)) { r.Read(); RequestObject = RawRange(ref r); }
        else if (r.ValueTextEquals("responseObject"u8)) { r.Read(); ResponseObject = RawRange(ref r); }
        else if (r.ValueTextEquals("stageTimestamp"u8)) { r.Read(); StageTimestamp = JsonValues.StringOrNull(ref r); }
        else if (r.ValueTextEquals("requestReceivedTimestamp"u8)) { r.Read(); RequestReceivedTimestamp = JsonValues.StringOrNull(ref r); }
        else if (r.ValueTextEquals("timestamp"u8)) { r.Read(); Timestamp = JsonValues.StringOrNull(ref r); }
        else
        {
            r.Read();
            r.Skip();
        }
    }

    private void ReadUser(ref Utf8JsonReader r, bool impersonated)
    {
        if (r.TokenType != JsonTokenType.StartObject)
        {
            r.Skip();
            return;
        }
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (r.ValueTextEquals("username"u8))
            {
                r.Read();
                var name = JsonValues.StringOrNull(ref r);
                if (impersonated) { ImpersonatedUser = name; } else { Username = name; }
            }
            else if (!impersonated && r.ValueTextEquals("groups"u8))
            {
                r.Read();
                Groups = JsonValues.Strings(ref r);
            }
            else
            {
                r.Read();
                r.Skip();
            }
        }
    }

    private void ReadObjectRef(ref Utf8JsonReader r)
    {
        if (r.TokenType != JsonTokenType.StartObject)
        {
            r.Skip();
            return;
        }
        HasObjectRef = true;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (r.ValueTextEquals("resource"u8)) { r.Read(); Resource = JsonValues.StringOrNull(ref r); }
            else if (r.ValueTextEquals("namespace"u8)) { r.Read(); Namespace = JsonValues.StringOrNull(ref r); }
            else if (r.ValueTextEquals("name"u8)) { r.Read(); Name = JsonValues.StringOrNull(ref r); }
            else if (r.ValueTextEquals("apiGroup"u8)) { r.Read(); ApiGroup = JsonValues.StringOrNull(ref r); }
            else if (r.ValueTextEquals("apiVersion"u8)) { r.Read(); ObjectApiVersion = JsonValues.StringOrNull(ref r); }
            else if (r.ValueTextEquals("subresource"u8)) { r.Read(); Subresource = JsonValues.StringOrNull(ref r); }
            else { r.Read(); r.Skip(); }
        }
    }

    private void ReadResponseStatus(ref Utf8JsonReader r)
    {
        if (r.TokenType != JsonTokenType.StartObject)
        {
            r.Skip();
            return;
        }
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (r.ValueTextEquals("code"u8))
            {
                r.Read();
                if (r.TokenType == JsonTokenType.Number && r.TryGetInt32(out var code))
                {
                    ResponseCode = code;
                }
                else if (r.TokenType == JsonTokenType.String && int.TryParse(r.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out code))
                {
                    ResponseCode = code;
                }
                else if (r.TokenType != JsonTokenType.Null)
                {
                    BadResponseCode = r.TokenType is JsonTokenType.String or JsonTokenType.Number
                        ? System.Text.Encoding.UTF8.GetString(r.ValueSpan)
                        : r.TokenType.ToString();
                    r.Skip();
                }
            }
            else
            {
                r.Read();
                r.Skip();
            }
        }
    }

    /// <summary>The byte range of an object or array value (a JSON patch is an array); null for anything else.</summary>
    private static (int, int)? RawRange(ref Utf8JsonReader r)
    {
        if (r.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
        {
            r.Skip();
            return null;
        }
        var start = checked((int)r.TokenStartIndex);
        r.Skip();
        return (start, checked((int)r.BytesConsumed) - start);
    }


}
