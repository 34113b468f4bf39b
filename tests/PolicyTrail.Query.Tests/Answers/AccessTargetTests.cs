using PolicyTrail.Query.Answers;

namespace PolicyTrail.Query.Tests.Answers;

/// <summary>The forms --to takes, and the label selectors it reads.</summary>
public sealed class AccessTargetTests
{
    [Theory]
    [InlineData("payments", TargetKind.Namespace, "payments", null, null)]
    [InlineData("payments/api", TargetKind.PodOrService, "payments", "api", null)]
    [InlineData("pod:payments/postgres-0", TargetKind.Pod, "payments", "postgres-0", null)]
    [InlineData("svc:payments/api", TargetKind.Service, "payments", "api", null)]
    [InlineData("service:payments/api", TargetKind.Service, "payments", "api", null)]
    [InlineData("app=api", TargetKind.Selector, null, null, "app=api")]
    [InlineData("tier in (data,backend),!legacy", TargetKind.Selector, null, null, "tier in (data,backend),!legacy")]
    public void Each_form_parses(string text, TargetKind kind, string? ns, string? name, string? selector) =>
        Assert.Equal(new AccessTarget(kind, ns, name, selector), AccessTarget.Parse(text, out _));

    [Theory]
    [InlineData("")]
    [InlineData("a/b/c")]
    [InlineData("svc:payments")]
    [InlineData("tier in data")]
    [InlineData("app=a,,b=c")]
    public void Other_text_is_refused_with_a_message(string text)
    {
        Assert.Null(AccessTarget.Parse(text, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void Selectors_match_as_kubectl_reads_them()
    {
        var labels = new Dictionary<string, string> { ["app"] = "api", ["tier"] = "backend" };
        bool Matches(string text) => SelectorParser.Parse(text, out var error) is var s && error is null ? s.Matches(labels) : throw new ArgumentException(error);
        Assert.True(Matches("app=api"));
        Assert.True(Matches("app==api,tier"));
        Assert.True(Matches("tier in (backend, data),!legacy"));
        Assert.True(Matches("app notin (web),team!=x"));
        Assert.False(Matches("app!=api"));
        Assert.False(Matches("tier notin (backend)"));
        Assert.False(Matches("legacy"));
    }
}
