using PolicyTrail.Core.Decisions;

namespace PolicyTrail.Core.Tests.Decisions;

/// <summary>A deferred explanation reads like one written at once: same text, same equality.</summary>
public sealed class DecisionTests
{
    private static readonly Endpoint Web = new() { Kind = EndpointKind.Pod, Namespace = "shop", Name = "web-1" };
    private static readonly Endpoint Db = new() { Kind = EndpointKind.Pod, Namespace = "shop", Name = "db-0" };

    private static Decision Written(string explanation) => new()
    {
        Verdict = Verdict.Deny, Source = Web, Destination = Db, Port = 5432, Protocol = Protocol.Tcp,
        Ingress = DirectionDecision.Unevaluated, Egress = DirectionDecision.NotApplicable, Explanation = explanation,
    };

    [Fact]
    public void A_deferred_explanation_is_written_once_on_first_read_from_the_decision_itself()
    {
        var writes = 0;
        var deferred = new Decision
        {
            Verdict = Verdict.Deny, Source = Web, Destination = Db, Port = 5432, Protocol = Protocol.Tcp,
            Ingress = DirectionDecision.Unevaluated, Egress = DirectionDecision.NotApplicable,
            DeferredExplanation = d => { writes++; return $"{d.Verdict.ToName()}: {d.Source.Name} -> {d.Destination.Name}:{d.Port}"; },
        };
        Assert.Equal(0, writes);
        Assert.Equal("deny: web-1 -> db-0:5432", deferred.Explanation);
        Assert.Equal("deny: web-1 -> db-0:5432", deferred.Explanation);
        Assert.Equal(1, writes);
    }

    [Fact]
    public void Decisions_are_equal_by_what_a_reader_sees_whether_the_explanation_was_deferred_or_not()
    {
        var deferred = new Decision
        {
            Verdict = Verdict.Deny, Source = Web, Destination = Db, Port = 5432, Protocol = Protocol.Tcp,
            Ingress = DirectionDecision.Unevaluated, Egress = DirectionDecision.NotApplicable,
            DeferredExplanation = _ => "deny: no policy admits it",
        };
        Assert.Equal(Written("deny: no policy admits it"), deferred);
        Assert.Equal(Written("deny: no policy admits it").GetHashCode(), deferred.GetHashCode());
        Assert.NotEqual(Written("deny: something else"), deferred);
        Assert.NotEqual(Written("deny: no policy admits it") with { Port = 5433 }, deferred);
        // A written explanation replaces a deferred one; none at all reads as empty.
        Assert.Equal("allow: overridden", (deferred with { Explanation = "allow: overridden" }).Explanation);
        Assert.Equal("", new Decision { Verdict = Verdict.Unknown, Source = Web, Destination = Db, Ingress = DirectionDecision.Unevaluated, Egress = DirectionDecision.Unevaluated }.Explanation);
    }
}
