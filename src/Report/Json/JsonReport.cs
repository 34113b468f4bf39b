using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using PolicyTrail.Report.Model;

namespace PolicyTrail.Report.Json;

/// <summary>
/// Writes the report model as one JSON document (camelCase members, enums as strings, times as Unix ns as the model
/// keeps them, plus the period as RFC 3339): the same content the HTML shows, for tools.
/// </summary>
public static class JsonReport
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Writes the document (UTF-8) followed by a newline.</summary>
    public static void Write(ReportModel model, Stream output)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(output);
        using (var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true, Encoder = Options.Encoder }))
        {
            writer.WriteStartObject();
            writer.WriteString("report", "policytrail evidence report");
            writer.WriteString("since", Times.Exact(model.Scope.Since));
            writer.WriteString("until", Times.Exact(model.Scope.Until));
            foreach (var property in JsonSerializer.SerializeToElement(model, Options).EnumerateObject())
            {
                property.WriteTo(writer);
            }
            writer.WriteEndObject();
        }
        output.Write("\n"u8);
    }
}
