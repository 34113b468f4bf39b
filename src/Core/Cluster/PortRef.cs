using System.Globalization;

namespace PolicyTrail.Core.Cluster;

/// <summary>A port given by number or by name (Kubernetes IntOrString).</summary>
public readonly record struct PortRef
{
    private PortRef(int? number, string? name)
    {
        Number = number;
        Name = name;
    }

    /// <summary>The port number, when given by number.</summary>
    public int? Number { get; }

    /// <summary>The port name, when given by name.</summary>
    public string? Name { get; }

    /// <summary>Whether the port is given by name.</summary>
    public bool IsNamed => Name is not null;

    /// <summary>A numeric port.</summary>
    public static PortRef FromNumber(int number) => new(number, null);

    /// <summary>A named port.</summary>
    public static PortRef FromName(string name) => new(null, name);

    /// <summary>Reads "80" as a number and anything else as a name.</summary>
    public static PortRef Parse(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? FromNumber(n) : FromName(text);

    /// <inheritdoc />
    public override string ToString() => Name ?? Number?.ToString(CultureInfo.InvariantCulture) ?? "";
}
