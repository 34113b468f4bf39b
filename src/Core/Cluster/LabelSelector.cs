namespace PolicyTrail.Core.Cluster;

/// <summary>The operator of a label selector requirement.</summary>
public enum SelectorOperator
{
    /// <summary>Not a valid operator.</summary>
    Unknown = 0,
    /// <summary>The label exists and its value is one of the values.</summary>
    In,
    /// <summary>The label is absent, or its value is none of the values.</summary>
    NotIn,
    /// <summary>The label exists.</summary>
    Exists,
    /// <summary>The label does not exist.</summary>
    DoesNotExist,
}

/// <summary>One matchExpressions entry of a Kubernetes label selector.</summary>
public sealed record LabelSelectorRequirement(string Key, SelectorOperator Operator, IReadOnlyList<string> Values);

/// <summary>A Kubernetes label selector; both parts empty selects everything.</summary>
public sealed record LabelSelector(
    IReadOnlyDictionary<string, string> MatchLabels,
    IReadOnlyList<LabelSelectorRequirement> MatchExpressions)
{
    /// <summary>The empty selector, which selects every object.</summary>
    public static LabelSelector Everything { get; } =
        new(new Dictionary<string, string>(), Array.Empty<LabelSelectorRequirement>());

    /// <summary>Whether this selector selects every object.</summary>
    public bool IsEmpty => MatchLabels.Count == 0 && MatchExpressions.Count == 0;

    /// <summary>Evaluates the selector on a label set, exactly as apimachinery does.</summary>
    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        foreach (var (key, value) in MatchLabels)
        {
            if (!labels.TryGetValue(key, out var actual) || actual != value)
            {
                return false;
            }
        }
        foreach (var requirement in MatchExpressions)
        {
            var present = labels.TryGetValue(requirement.Key, out var actual);
            var ok = requirement.Operator switch
            {
                SelectorOperator.In => present && Contains(requirement.Values, actual!),
                SelectorOperator.NotIn => !present || !Contains(requirement.Values, actual!),
                SelectorOperator.Exists => present,
                SelectorOperator.DoesNotExist => !present,
                _ => false,
            };
            if (!ok)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The selector as kubectl writes it, e.g. <c>app=web,tier in (a,b)</c>; empty is <c>{}</c>.</summary>
    public override string ToString()
    {
        if (IsEmpty)
        {
            return "{}";
        }
        var parts = MatchLabels.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}").ToList();
        foreach (var r in MatchExpressions)
        {
            parts.Add(r.Operator switch
            {
                SelectorOperator.In => $"{r.Key} in ({string.Join(',', r.Values)})",
                SelectorOperator.NotIn => $"{r.Key} notin ({string.Join(',', r.Values)})",
                SelectorOperator.Exists => r.Key,
                SelectorOperator.DoesNotExist => $"!{r.Key}",
                _ => $"{r.Key} ?",
            });
        }
        return string.Join(',', parts);
    }

    private static bool Contains(IReadOnlyList<string> values, string value)
    {
        for (var i = 0; i < values.Count; i++)
        {
            if (values[i] == value)
            {
                return true;
            }
        }
        return false;
    }
}
