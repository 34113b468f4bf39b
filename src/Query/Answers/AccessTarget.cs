namespace PolicyTrail.Query.Answers;

/// <summary>What <c>access --to</c> names.</summary>
public enum TargetKind
{
    /// <summary>Not a target.</summary>
    Unknown = 0,
    /// <summary>Any pod of a namespace.</summary>
    Namespace,
    /// <summary>One pod (<c>ns/pod</c>, or <c>pod:ns/pod</c>).</summary>
    Pod,
    /// <summary>A Service: its addresses and its backends (<c>ns/svc</c>, or <c>svc:ns/name</c>).</summary>
    Service,
    /// <summary>A pod of either kind by name: a pod when the store has one of that name, else a Service.</summary>
    PodOrService,
    /// <summary>Pods whose labels matched a label selector.</summary>
    Selector,
}

/// <summary>
/// The destination of <c>access --to</c>: <c>ns</c>, <c>ns/name</c> (a pod when the store names one so, else a Service),
/// <c>pod:ns/name</c>, <c>svc:ns/name</c>, or a label selector (anything with =, !=, in, notin or a leading !).
/// </summary>
public sealed record AccessTarget(TargetKind Kind, string? Namespace, string? Name, string? Selector)
{
    /// <summary>Reads a --to value; null with <paramref name="error"/> set when it is none of the forms.</summary>
    public static AccessTarget? Parse(string text, out string? error)
    {
        error = null;
        var t = text.Trim();
        if (t.Length == 0)
        {
            error = "--to is empty: give ns, ns/pod, ns/svc, svc:ns/name, pod:ns/name or a label selector (app=api)";
            return null;
        }
        if (t.Contains('=', StringComparison.Ordinal) || t.StartsWith('!') || t.Contains(" in ", StringComparison.Ordinal)
            || t.Contains(" notin ", StringComparison.Ordinal) || t.Contains(',', StringComparison.Ordinal))
        {
            SelectorParser.Parse(t, out error);
            return error is null ? new AccessTarget(TargetKind.Selector, null, null, t) : null;
        }
        var kind = TargetKind.PodOrService;
        foreach (var (prefix, k) in new[] { ("svc:", TargetKind.Service), ("service:", TargetKind.Service), ("pod:", TargetKind.Pod) })
        {
            if (t.StartsWith(prefix, StringComparison.Ordinal))
            {
                (t, kind) = (t[prefix.Length..], k);
            }
        }
        var parts = t.Split('/');
        if (parts is [{ Length: > 0 } ns] && kind == TargetKind.PodOrService)
        {
            return new AccessTarget(TargetKind.Namespace, ns, null, null);
        }
        if (parts is [{ Length: > 0 } space, { Length: > 0 } name])
        {
            return new AccessTarget(kind, space, name, null);
        }
        error = $"--to '{text}': give ns, ns/pod, ns/svc, svc:ns/name, pod:ns/name or a label selector (app=api)";
        return null;
    }

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        TargetKind.Namespace => $"namespace {Namespace}",
        TargetKind.Pod => $"pod {Namespace}/{Name}",
        TargetKind.Service => $"service {Namespace}/{Name}",
        TargetKind.Selector => $"pods matching {Selector}",
        _ => $"{Namespace}/{Name}",
    };
}
