using PolicyTrail.Core.Cluster;

namespace PolicyTrail.Core.Tests.Cluster;

public class LabelSelectorTests
{
    private static readonly Dictionary<string, string> WebPod = new() { ["app"] = "web", ["tier"] = "front" };

    private static LabelSelector Expr(string key, SelectorOperator op, params string[] values) =>
        new(new Dictionary<string, string>(), [new LabelSelectorRequirement(key, op, values)]);

    [Fact]
    public void Empty_selector_matches_everything_including_no_labels()
    {
        Assert.True(LabelSelector.Everything.Matches(WebPod));
        Assert.True(LabelSelector.Everything.Matches(new Dictionary<string, string>()));
    }

    [Fact]
    public void MatchLabels_needs_every_pair()
    {
        var selector = new LabelSelector(new Dictionary<string, string> { ["app"] = "web", ["tier"] = "back" }, []);
        Assert.False(selector.Matches(WebPod));
        Assert.True(new LabelSelector(new Dictionary<string, string> { ["app"] = "web" }, []).Matches(WebPod));
    }

    [Theory]
    [InlineData(SelectorOperator.In, "app", new[] { "web", "api" }, true)]
    [InlineData(SelectorOperator.In, "app", new[] { "api" }, false)]
    [InlineData(SelectorOperator.In, "missing", new[] { "web" }, false)]
    [InlineData(SelectorOperator.NotIn, "app", new[] { "api" }, true)]
    [InlineData(SelectorOperator.NotIn, "app", new[] { "web" }, false)]
    [InlineData(SelectorOperator.NotIn, "missing", new[] { "web" }, true)]
    [InlineData(SelectorOperator.Exists, "tier", new string[0], true)]
    [InlineData(SelectorOperator.Exists, "missing", new string[0], false)]
    [InlineData(SelectorOperator.DoesNotExist, "missing", new string[0], true)]
    [InlineData(SelectorOperator.DoesNotExist, "tier", new string[0], false)]
    public void MatchExpressions_follow_apimachinery(SelectorOperator op, string key, string[] values, bool expected) =>
        Assert.Equal(expected, Expr(key, op, values).Matches(WebPod));

    [Fact]
    public void Labels_and_expressions_are_ANDed()
    {
        var selector = new LabelSelector(
            new Dictionary<string, string> { ["app"] = "web" },
            [new LabelSelectorRequirement("tier", SelectorOperator.NotIn, ["front"])]);
        Assert.False(selector.Matches(WebPod));
    }

    [Fact]
    public void Prints_as_kubectl_writes_selectors()
    {
        var selector = new LabelSelector(
            new Dictionary<string, string> { ["app"] = "web" },
            [new LabelSelectorRequirement("tier", SelectorOperator.In, ["a", "b"]), new LabelSelectorRequirement("x", SelectorOperator.DoesNotExist, [])]);
        Assert.Equal("app=web,tier in (a,b),!x", selector.ToString());
        Assert.Equal("{}", LabelSelector.Everything.ToString());
    }
}
