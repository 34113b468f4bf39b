namespace PolicyTrail.Query.Filtering;

/// <summary>A pod filter: <c>NS/POD-PREFIX</c> (pods of that namespace whose name starts so) or <c>POD-PREFIX</c> (any namespace).</summary>
public sealed record PodPattern(string? Namespace, string Prefix)
{
    /// <summary>Whether a pod (namespace, name) matches.</summary>
    public bool Matches(string? ns, string? pod) =>
        pod is not null && pod.StartsWith(Prefix, StringComparison.Ordinal) && (Namespace is null || Namespace == ns);

    /// <inheritdoc />
    public override string ToString() => Namespace is null ? Prefix : $"{Namespace}/{Prefix}";

    /// <summary>Parses <c>NS/POD-PREFIX</c> or <c>POD-PREFIX</c>; <c>NS/</c> is every pod of NS.</summary>
    /// <exception cref="FilterValueException">Empty, or more than one '/'.</exception>
    public static PodPattern Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Split('/') switch
        {
            [{ Length: > 0 } prefix] => new PodPattern(null, prefix),
            [{ Length: > 0 } ns, var prefix] => new PodPattern(ns, prefix),
            _ => throw new FilterValueException($"'{text}' is not NAMESPACE/POD-PREFIX or POD-PREFIX"),
        };
    }
}
