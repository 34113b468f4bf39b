namespace PolicyTrail.Core;

/// <summary>PolicyTrail's own decision for a connection.</summary>
public enum Verdict
{
    /// <summary>Could not be decided; the reason says why (never a guess).</summary>
    Unknown = 0,
    /// <summary>The policies admit the connection.</summary>
    Allow,
    /// <summary>The policies refuse the connection.</summary>
    Deny,
}

/// <summary>Printing of <see cref="Verdict"/> in the contract's spelling.</summary>
public static class VerdictNames
{
    /// <summary>allow, deny or unknown.</summary>
    public static string ToName(this Verdict verdict) => verdict switch
    {
        Verdict.Allow => "allow",
        Verdict.Deny => "deny",
        _ => "unknown",
    };
}
