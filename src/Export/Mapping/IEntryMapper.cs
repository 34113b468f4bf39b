using System.Buffers;
using PolicyTrail.Export.Reading;

namespace PolicyTrail.Export.Mapping;

/// <summary>Turns one ledger entry into one record of a target format (bytes, without any line ending or framing).</summary>
internal interface IEntryMapper
{
    /// <summary>The format's name on the command line (ocsf, ecs, cef, syslog).</summary>
    string Name { get; }

    /// <summary>
    /// How records are framed on a TCP stream: RFC 6587 octet counting for syslog, one record per line for the
    /// others (what JSON-lines and CEF TCP inputs read).
    /// </summary>
    bool OctetCountingOverTcp { get; }

    /// <summary>Writes the record for <paramref name="entry"/>; the output holds no CR or LF outside escapes.</summary>
    void Write(ExportEntry entry, IBufferWriter<byte> output);
}

/// <summary>The formats <c>policytrail export</c> writes, by name.</summary>
internal static class ExportFormats
{
    /// <summary>Every format name, in the order help lists them.</summary>
    public static IReadOnlyList<string> Names { get; } = ["ocsf", "ecs", "cef", "syslog"];

    /// <summary>The mapper of a format, or null for an unknown name.</summary>
    public static IEntryMapper? Create(string name, ExportOptions options) => name switch
    {
        "ocsf" => new Ocsf.OcsfMapper(options),
        "ecs" => new Ecs.EcsMapper(options),
        "cef" => new Cef.CefMapper(options),
        "syslog" => new Syslog.SyslogMapper(options),
        _ => null,
    };
}

/// <summary>What every mapper is told about the producer: product version and the host the records are sent from.</summary>
internal sealed record ExportOptions
{
    /// <summary>PolicyTrail's version as records name it.</summary>
    public string ProductVersion { get; init; } = ProductInfo.Version;

    /// <summary>The host name syslog headers carry (RFC 5424 HOSTNAME).</summary>
    public string HostName { get; init; } = Environment.MachineName;

    /// <summary>The log's origin (its checkpoint origin line), when known: says which log an index belongs to.</summary>
    public string? LogOrigin { get; init; }
}

/// <summary>The product's name and version, as every format reports the producer.</summary>
internal static class ProductInfo
{
    /// <summary>Vendor and product name.</summary>
    public const string Name = "PolicyTrail";

    /// <summary>The assembly's informational version without build metadata ("1.0.0").</summary>
    public static string Version { get; } =
        (typeof(ProductInfo).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "0.0.0").Split('+')[0];
}
