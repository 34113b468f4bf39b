using System.Text;
using System.Text.Json;
using PolicyTrail.Core.Flows;
using PolicyTrail.Sources.Formats;

namespace PolicyTrail.Sources.KubernetesAudit;

/// <summary>
/// Reads one audit line (a bare Event, an EventList, or an Elasticsearch hit with the Event in "_source") and turns
/// completed writes to policy resources and namespaces into <see cref="PolicyChangeRecord"/>s; everything else the
/// API server audits (reads, other resources, earlier stages) is skipped by category.
/// </summary>
internal sealed class KubernetesAuditParser(FormatOptions options) : ILineParser
{
    /// <summary>The API group every audit Event version belongs to.</summary>
    public const string AuditGroupPrefix = "audit.k8s.io/";

    public void Parse(LineContext line, RecordSink sink)
    {
        var top = new AuditEvent();
        AuditEvent? wrapped = null;
        List<AuditEvent>? items = null;
        try
        {
            var reader = new Utf8JsonReader(line.Bytes.Span, new JsonReaderOptions { MaxDepth = 256 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                sink.Reject("not a JSON object");
                return;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("_source"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        sink.Reject("\"_source\" is not an object");
                        return;
                    }
                    wrapped = AuditEvent.Read(ref reader);
                }
                else if (reader.ValueTextEquals("items"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartArray)
                    {
                        sink.Reject("\"items\" is not an array");
                        return;
                    }
                    items = [];
                    while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
                    {
                        items.Add(AuditEvent.Read(ref reader));
                    }
                    if (reader.TokenType != JsonTokenType.EndArray)
                    {
                        sink.Reject($"items[{items.Count}] is not an object");
                        return;
                    }
                }
                else
                {
                    top.ReadProperty(ref reader);
                }
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                sink.Reject("truncated or trailing data after the JSON object");
                return;
            }
        }
        catch (JsonException e)
        {
            sink.Reject($"invalid or truncated JSON at byte {e.BytePositionInLine + 1}");
            return;
        }
        catch (InvalidOperationException e)
        {
            sink.Reject($"unexpected JSON value: {e.Message}");
            return;
        }

        if (wrapped is not null)
        {
            ReadOne(line, sink, wrapped);
        }
        else if (items is not null)
        {
            ReadList(line, sink, top, items);
        }
        else
        {
            ReadOne(line, sink, top);
        }
    }

    private void ReadOne(LineContext line, RecordSink sink, AuditEvent e)
    {
        var outcome = IdentityProblem(e) ?? Evaluate(line, e);
        switch (outcome)
        {
            case Outcome.Change change:
                sink.Emit(change.Record);
                break;
            case Outcome.Skipped skipped:
                sink.Skip(skipped.Category);
                break;
            case Outcome.Rejected rejected:
                sink.Reject(rejected.Reason);
                break;
        }
    }

    /// <summary>
    /// A webhook batch: every change in it is emitted; bad items reject the line once (with the first reason), and a
    /// batch with neither is skipped once, so that one line never counts as many skips.
    /// </summary>
    private void ReadList(LineContext line, RecordSink sink, AuditEvent list, List<AuditEvent> items)
    {
        if (list.Kind is not "EventList" || list.ApiVersion is null || !list.ApiVersion.StartsWith(AuditGroupPrefix, StringComparison.Ordinal))
        {
            sink.Reject($"\"items\" outside an audit.k8s.io EventList (kind '{list.Kind}', apiVersion '{list.ApiVersion}')");
            return;
        }
        var emitted = 0;
        string? firstProblem = null;
        var problems = 0;
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            // List items carry no TypeMeta of their own; they are Events of the list's version.
            item.ApiVersion ??= list.ApiVersion;
            item.Kind ??= "Event";
            switch (IdentityProblem(item) ?? Evaluate(line, item))
            {
                case Outcome.Change change:
                    sink.Emit(change.Record);
                    emitted++;
                    break;
                case Outcome.Rejected rejected:
                    firstProblem ??= $"items[{i}]: {rejected.Reason}";
                    problems++;
                    break;
            }
        }
        if (firstProblem is not null)
        {
            sink.Reject(problems == 1 ? firstProblem : $"{firstProblem} (and {problems - 1} more unreadable items)");
        }
        else if (emitted == 0)
        {
            sink.Skip(SkipCategory.ListWithoutChanges);
        }
    }

    private static Outcome.Rejected? IdentityProblem(AuditEvent e)
    {
        if (e.ApiVersion is { } version && !version.StartsWith(AuditGroupPrefix, StringComparison.Ordinal))
        {
            return new($"not a Kubernetes audit event (apiVersion '{version}')");
        }
        if (e.Kind is { } kind && kind != "Event")
        {
            return new($"not a Kubernetes audit event (kind '{kind}')");
        }
        if (e.ApiVersion is null && e.Kind is null && (e.AuditId is null || e.Stage is null || e.Verb is null))
        {
            return new("not a Kubernetes audit event (no kind or apiVersion, and not all of auditID, stage and verb)");
        }
        return null;
    }

    private Outcome Evaluate(LineContext line, AuditEvent e)
    {
        if (string.IsNullOrEmpty(e.Verb))
        {
            return new Outcome.Rejected("event has no verb");
        }
        if (string.IsNullOrEmpty(e.Stage))
        {
            return new Outcome.Rejected("event has no stage");
        }
        if (!e.HasObjectRef)
        {
            return new Outcome.Skipped(SkipCategory.NonResource);
        }
        if (e.Verb is "get" or "list" or "watch")
        {
            return new Outcome.Skipped(SkipCategory.ReadOnly);
        }
        if (string.IsNullOrEmpty(e.Resource))
        {
            return new Outcome.Rejected("objectRef has no resource");
        }
        var (group, version) = GroupAndVersion(e);
        if (!PolicyResources.IsPolicy(group, e.Resource))
        {
            return new Outcome.Skipped(SkipCategory.OtherResource);
        }
        // status and finalize subresources change neither the policy spec nor namespace labels.
        if (!string.IsNullOrEmpty(e.Subresource))
        {
            return new Outcome.Skipped(SkipCategory.Subresource);
        }
        if (e.Verb is not ("create" or "update" or "patch" or "delete" or "deletecollection"))
        {
            return new Outcome.Skipped(SkipCategory.OtherVerb);
        }
        // A server-side dry run is audited like the real request, with a 2xx, but persists nothing.
        if (IsDryRun(e.RequestUri))
        {
            return new Outcome.Skipped(SkipCategory.DryRun);
        }
        // RequestReceived carries no outcome yet; ResponseComplete (or Panic) is the one that says what happened.
        if (e.Stage is not ("ResponseComplete" or "Panic"))
        {
            return new Outcome.Skipped("stage " + e.Stage);
        }
        if (e.BadResponseCode is not null)
        {
            return new Outcome.Rejected($"responseStatus.code is not a number ('{e.BadResponseCode}')");
        }
        var (timeField, timeText) = e.StageTimestamp is not null ? ("stageTimestamp", e.StageTimestamp)
            : e.RequestReceivedTimestamp is not null ? ("requestReceivedTimestamp", e.RequestReceivedTimestamp)
            : ("timestamp", e.Timestamp);
        if (timeText is null)
        {
            return new Outcome.Rejected("event has no stageTimestamp, requestReceivedTimestamp or timestamp");
        }
        if (!Timestamp.TryParseRfc3339(timeText, out var time))
        {
            return new Outcome.Rejected($"bad {timeField} '{timeText}'");
        }

        var span = line.Bytes.Span;
        var response = e.ResponseObject is { } resp ? ObjectSummary.Of(span.Slice(resp.Start, resp.Length)) : null;
        var request = e.RequestObject is { } req ? ObjectSummary.Of(span.Slice(req.Start, req.Length)) : null;
        if (response is { Invalid: true } || request is { Invalid: true })
        {
            return new Outcome.Rejected($"unreadable {(response is { Invalid: true } ? "responseObject" : "requestObject")}");
        }
        // A Status (failure, or an old-style delete) is not the object, nor are DeleteOptions; a failed write keeps
        // the object it tried to write, which is the evidence of the attempt.
        var responseIsObject = response is not null && response.Kind != "Status";
        var requestIsObject = request is not null && request.Kind != "DeleteOptions";
        string? objectJson = null;
        if (responseIsObject)
        {
            objectJson = Encoding.UTF8.GetString(span.Slice(e.ResponseObject!.Value.Start, e.ResponseObject.Value.Length));
        }
        else if (requestIsObject)
        {
            objectJson = Encoding.UTF8.GetString(span.Slice(e.RequestObject!.Value.Start, e.RequestObject.Value.Length));
        }
        // objectRef.name is empty for a generateName create; the created object names itself.
        var name = NullIfEmpty(e.Name) ?? (e.Verb == "create" && responseIsObject ? NullIfEmpty(response!.Name) : null);

        return new Outcome.Change(new PolicyChangeRecord
        {
            Time = time,
            Source = line.Source(options.Node),
            Verb = e.Verb,
            ApiGroup = group,
            ApiVersion = version,
            Resource = e.Resource,
            Namespace = NullIfEmpty(e.Namespace),
            Name = name,
            User = NullIfEmpty(e.Username),
            UserGroups = e.Groups ?? [],
            ImpersonatedUser = NullIfEmpty(e.ImpersonatedUser),
            ResponseCode = e.ResponseCode,
            AuditId = e.AuditId,
            Stage = e.Stage,
            // Only the response has the version after the change: objectRef.resourceVersion and the request's are
            // the version the client started from.
            ResourceVersion = responseIsObject ? NullIfEmpty(response!.ResourceVersion) : null,
            ObjectJson = objectJson,
        });
    }

    /// <summary>
    /// objectRef.apiGroup ("" or absent for the core group) and apiVersion; audit.k8s.io/v1alpha1 had no apiGroup and
    /// wrote "group/version" in apiVersion.
    /// </summary>
    private static (string Group, string? Version) GroupAndVersion(AuditEvent e)
    {
        if (e.ApiGroup is null && e.ObjectApiVersion is { } combined && combined.IndexOf('/', StringComparison.Ordinal) is var slash and > 0)
        {
            return (combined[..slash], combined[(slash + 1)..]);
        }
        return (e.ApiGroup ?? "", NullIfEmpty(e.ObjectApiVersion));
    }

    private static bool IsDryRun(string? requestUri)
    {
        var query = requestUri?.IndexOf('?', StringComparison.Ordinal) ?? -1;
        if (query < 0)
        {
            return false;
        }
        foreach (var part in requestUri!.AsSpan(query + 1).Split('&'))
        {
            var pair = requestUri.AsSpan(query + 1)[part];
            if (pair.StartsWith("dryRun=", StringComparison.Ordinal) && pair.Length > "dryRun=".Length)
            {
                return true;
            }
        }
        return false;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    /// <summary>What one Event came to.</summary>
    private abstract record Outcome
    {
        public sealed record Change(PolicyChangeRecord Record) : Outcome;
        public sealed record Skipped(string Category) : Outcome;
        public sealed record Rejected(string Reason) : Outcome;
    }

    /// <summary>Kind, metadata.name and metadata.resourceVersion of an embedded object.</summary>
    private sealed record ObjectSummary(string? Kind, string? Name, string? ResourceVersion, bool Invalid)
    {
        public static ObjectSummary Of(ReadOnlySpan<byte> json)
        {
            string? kind = null, name = null, resourceVersion = null;
            try
            {
                var r = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
                if (!r.Read() || r.TokenType != JsonTokenType.StartObject)
                {
                    // A JSON patch (array): no kind, no metadata.
                    return new(null, null, null, false);
                }
                while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
                {
                    if (r.ValueTextEquals("kind"u8))
                    {
                        r.Read();
                        kind = r.TokenType == JsonTokenType.String ? r.GetString() : null;
                        r.Skip();
                    }
                    else if (r.ValueTextEquals("metadata"u8))
                    {
                        r.Read();
                        if (r.TokenType != JsonTokenType.StartObject)
                        {
                            r.Skip();
                            continue;
                        }
                        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
                        {
                            if (r.ValueTextEquals("name"u8)) { r.Read(); name = r.TokenType == JsonTokenType.String ? r.GetString() : null; r.Skip(); }
                            else if (r.ValueTextEquals("resourceVersion"u8)) { r.Read(); resourceVersion = r.TokenType == JsonTokenType.String ? r.GetString() : null; r.Skip(); }
                            else { r.Read(); r.Skip(); }
                        }
                    }
                    else
                    {
                        r.Read();
                        r.Skip();
                    }
                }
            }
            catch (JsonException)
            {
                return new(null, null, null, true);
            }
            return new(kind, name, resourceVersion, false);
        }
    }

    /// <summary>The categories skipped lines are counted under.</summary>
    private static class SkipCategory
    {
        public const string NonResource = "non-resource request";
        public const string ReadOnly = "read-only verb";
        public const string OtherResource = "other resource";
        public const string Subresource = "subresource";
        public const string OtherVerb = "other verb";
        public const string DryRun = "dry run";
        public const string ListWithoutChanges = "event list without policy changes";
    }
}
