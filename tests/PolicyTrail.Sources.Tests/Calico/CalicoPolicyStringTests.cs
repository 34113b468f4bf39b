using PolicyTrail.Core.Flows;
using PolicyTrail.Sources.Calico;
using PolicyTrail.Sources.Tests.Support;

namespace PolicyTrail.Sources.Tests.Calico;

public class CalicoPolicyStringTests
{
    public class Given_every_string_of_the_shared_sample
    {
        // Expected reading of each line of calico-policy-strings.txt: "Kind namespace name tier rule action" ("-" = null),
        // or "! <reason>" where Calico's own HitFromString rejects the string too (goldmane/proto/methods_test.go
        // TestInvalidStrings lists lines 13, 15, 19, 25, 26, 29, 30, 36 and 49, 51, 55, 61, 62, 65, 66, 72 as invalid).
        private static readonly Dictionary<int, string> Expected = new()
        {
            [1] = "CalicoNetworkPolicy ns1 policy1 tier1 3 pass",
            // A doc example whose staged name carries another tier's prefix: kept whole, not guessed away.
            [2] = "StagedNetworkPolicy ns2 tier1.policy1 tier2 1 deny",
            [3] = "CalicoNetworkPolicy policy-demo access-nginx default 2 allow",
            [4] = "CalicoNetworkPolicy policy-demo access-nginx default 2 allow",
            [5] = "CalicoNetworkPolicy policy-demo access-nginx default - allow",
            [6] = "Profile - kns.maintenance-server - 0 allow",
            [7] = "GlobalNetworkPolicy - allow-ssh-maintenance default 0 allow",
            [8] = "GlobalNetworkPolicy - allow-external-http default 0 allow",
            [9] = "CalicoNetworkPolicy tigera-system cnx-apiserver-access allow-tigera 1 allow",
            [10] = "Profile - kns.default - 0 allow",
            [11] = "GlobalNetworkPolicy - ep2-4 tier1 -1 pass",
            [12] = "Profile - kns.default - 0 allow",
            [13] = "! tier '@kube-baseline' is not a valid tier name",
            [14] = "NetworkPolicy namespace name default 2 allow",
            [15] = "! unknown action 'badaction'",
            [16] = "ClusterNetworkPolicy - policy1 kube-admin -1 allow",
            [17] = "GlobalNetworkPolicy - name kube-admin 1 deny",
            [18] = "CalicoNetworkPolicy default np1-1 tier1 0 pass",
            [19] = "! no policy name in 'namespace/'",
            [20] = "CalicoNetworkPolicy ns1 policy1 tier1 -1 deny",
            [21] = "StagedNetworkPolicy default np2-1 tier2 -1 deny",
            [22] = "CalicoNetworkPolicy namespace name tier 1 allow",
            [23] = "GlobalNetworkPolicy - name tier 0 allow",
            [24] = "GlobalNetworkPolicy - name tier 0 allow",
            [25] = "! tier is empty",
            [26] = "! policy name 'PSA.svcacct' is not a valid resource name",
            [27] = "Profile - kns.default - 0 allow",
            [28] = "Profile - ksa.svcacct - 0 allow",
            [29] = "! tier '___PROFILE__' is not a valid tier name",
            [30] = "! tier '_' is not a valid tier name",
            [31] = "StagedKubernetesNetworkPolicy namespace name.with.dots default 3 deny",
            [32] = "StagedKubernetesNetworkPolicy namespace name default 3 deny",
            [33] = "GlobalNetworkPolicy - name kube-baseline 2 deny",
            [34] = "CalicoNetworkPolicy ns1 policy1 tier1 -1 allow",
            [35] = "StagedNetworkPolicy default np2-1 tier2 -1 deny",
            [36] = "! policy name 'invalid-ch@aracter' is not a valid resource name",
            [37] = "StagedNetworkPolicy namespace name.with.dots tier 0 deny",
            [38] = "StagedNetworkPolicy namespace name tier 0 deny",
            [39] = "StagedGlobalNetworkPolicy - name.with.dots tier 2 deny",
            [40] = "StagedGlobalNetworkPolicy - name tier 2 deny",
            [41] = "Profile - kns.default - 1 allow",
            [42] = "ClusterNetworkPolicy - name.with.dots kube-admin 1 pass",
            [43] = "GlobalNetworkPolicy - policy1 kube-admin -1 allow",
            [44] = "ClusterNetworkPolicy - name.with.dots kube-baseline 1 pass",
            [45] = "ClusterNetworkPolicy - name.with.dots kube-admin 4 pass",
            [46] = "ClusterNetworkPolicy - name kube-admin 4 pass",
            [47] = "ClusterNetworkPolicy - name.with.dots kube-baseline 4 pass",
            [48] = "ClusterNetworkPolicy - name kube-baseline 4 pass",
            // v3.32 "kind:" form: names are verbatim resource names, dots and all.
            [49] = "! tier '@kube-baseline' is not a valid tier name",
            [50] = "NetworkPolicy namespace name default 2 allow",
            [51] = "! unknown action 'badaction'",
            [52] = "ClusterNetworkPolicy - name kube-admin 1 deny",
            [53] = "ClusterNetworkPolicy - policy1 kube-admin -1 allow",
            [54] = "CalicoNetworkPolicy default tier1.np1-1 tier1 0 pass",
            [55] = "! no policy name in 'np:namespace/'",
            [56] = "CalicoNetworkPolicy ns1 tier1.policy1 tier1 -1 deny",
            [57] = "StagedNetworkPolicy default np2-1 tier2 -1 deny",
            [58] = "GlobalNetworkPolicy - name tier 0 allow",
            [59] = "CalicoNetworkPolicy namespace name tier 1 allow",
            [60] = "CalicoNetworkPolicy namespace tier.name tier 1 allow",
            [61] = "! tier is empty",
            [62] = "! policy name 'PSA.svcacct' is not a valid resource name",
            [63] = "Profile - kns.default - 0 allow",
            [64] = "Profile - ksa.svcacct - 0 allow",
            [65] = "! tier '___PROFILE__' is not a valid tier name",
            [66] = "! tier '_' is not a valid tier name",
            [67] = "StagedKubernetesNetworkPolicy namespace name.with.dots default 3 deny",
            [68] = "StagedKubernetesNetworkPolicy namespace name default 3 deny",
            [69] = "ClusterNetworkPolicy - name kube-baseline 2 deny",
            [70] = "CalicoNetworkPolicy ns1 tier1.policy1 tier1 -1 allow",
            [71] = "StagedNetworkPolicy default np2-1 tier2 -1 deny",
            [72] = "! policy name 'invalid-ch@aracter' is not a valid resource name",
            [73] = "StagedGlobalNetworkPolicy - name.with.dots tier 2 deny",
            [74] = "StagedGlobalNetworkPolicy - name tier 2 deny",
            [75] = "StagedNetworkPolicy namespace name.with.dots tier 0 deny",
            [76] = "StagedNetworkPolicy namespace name tier 0 deny",
            [77] = "Profile - kns.default - 1 allow",
            [78] = "GlobalNetworkPolicy - kube-admin.policy1 kube-admin -1 allow",
            [79] = "ClusterNetworkPolicy - name.with.dots kube-admin 1 pass",
            [80] = "ClusterNetworkPolicy - name.with.dots kube-baseline 1 pass",
            [81] = "ClusterNetworkPolicy - name.with.dots kube-admin 4 pass",
            [82] = "ClusterNetworkPolicy - name kube-admin 4 pass",
            [83] = "ClusterNetworkPolicy - name.with.dots kube-baseline 4 pass",
            [84] = "ClusterNetworkPolicy - name kube-baseline 4 pass",
        };

        public static TheoryData<int> Lines => new(Enumerable.Range(1, 84));

        private static string[] ReadSample() => File.ReadAllLines(Fixtures.PathOrSkip("calico-policy-strings.txt"));

        [Fact]
        public void The_sample_holds_84_strings_of_which_16_are_invalid()
        {
            var lines = ReadSample();
            Assert.Equal(84, lines.Length);
            Assert.Equal(16, lines.Count(l => !CalicoPolicyString.TryParse(l, null, out _, out _)));
        }

        [Theory]
        [MemberData(nameof(Lines))]
        public void Each_string_reads_as_Calico_means_it(int line)
        {
            var text = ReadSample()[line - 1];
            var ok = CalicoPolicyString.TryParse(text, null, out var parsed, out var error);
            var expected = Expected[line];
            if (expected.StartsWith('!'))
            {
                Assert.False(ok, $"line {line} '{text}' should be rejected");
                Assert.Equal(expected[2..], error);
                return;
            }
            Assert.True(ok, $"line {line} '{text}': {error}");
            Assert.Equal(expected, Describe(parsed.Hit));
            Assert.Equal(long.Parse(text.Split('|')[0], System.Globalization.CultureInfo.InvariantCulture), parsed.PolicyIndex);
        }

        private static string Describe(PolicyHit h) =>
            $"{h.Kind} {h.Namespace ?? "-"} {h.Name} {h.Tier ?? "-"} {(h.RuleIndex is { } r ? r.ToString(System.Globalization.CultureInfo.InvariantCulture) : "-")} {h.Action}";
    }

    public class Given_written_strings
    {
        // From goldmane/proto/methods_test.go TestInvalidStrings and methods.go, for the corners the sample lacks.
        [Theory]
        [InlineData("0|tier|gnp:tier.name|allow|0|extra", "expected 5 '|'-separated fields (or 4 without a rule index), found 6")]
        [InlineData("0|tier|tier.name", "expected 5 '|'-separated fields (or 4 without a rule index), found 3")]
        [InlineData("notint|kube-baseline|kcnp:name|deny|2", "policy index 'notint' is not a number")]
        [InlineData("1|tier|sgnp:tier.name|deny|notInt", "rule index 'notInt' is not a rule number, -1 (end of tier) or -2 (unknown)")]
        [InlineData("1|tier|tier.name|deny|-3", "rule index '-3' is not a rule number, -1 (end of tier) or -2 (unknown)")]
        [InlineData("0|tier|np:name|allow|0", "'np:name' names a namespaced kind without a namespace")]
        [InlineData("0|tier|gnp:ns/name|allow|0", "'gnp:ns/name' gives a namespace to a cluster-scoped kind")]
        [InlineData("0|tier|a/b/c|allow|0", "name part 'a/b/c' has more than one '/'")]
        [InlineData("0|tier|xyz:name|allow|0", "unknown policy kind prefix in 'xyz:name'")]
        [InlineData("0|tier|Bad_NS/tier.name|allow|0", "namespace 'Bad_NS' is not a valid namespace name")]
        [InlineData("", "empty policy string")]
        public void Malformed_strings_are_refused_with_the_reason(string text, string reason)
        {
            Assert.False(CalicoPolicyString.TryParse(text, null, out _, out var error));
            Assert.Equal(reason, error);
        }

        [Theory]
        [InlineData("0|adminnetworkpolicy|kanp.adminnetworkpolicy.name|pass|4", "AdminNetworkPolicy", "name")]
        [InlineData("0|baselineadminnetworkpolicy|kbanp.baselineadminnetworkpolicy.name.with.dots|deny|1", "BaselineAdminNetworkPolicy", "name.with.dots")]
        [InlineData("0|default|default.staged:name|deny|1", "StagedGlobalNetworkPolicy", "name")]
        public void The_v3_29_admin_network_policy_prefixes_are_read(string text, string kind, string name)
        {
            Assert.True(CalicoPolicyString.TryParse(text, null, out var parsed, out var error), error);
            Assert.Equal((kind, name), (parsed.Hit.Kind, parsed.Hit.Name));
        }

        [Fact]
        public void Rule_index_minus_2_means_unknown_and_pending_is_carried()
        {
            Assert.True(CalicoPolicyString.TryParse("0|default|ns/default.p|ALLOW|-2", true, out var parsed, out _));
            Assert.Null(parsed.Hit.RuleIndex);
            Assert.Equal("allow", parsed.Hit.Action);
            Assert.True(parsed.Hit.Pending);
        }

        [Fact]
        public void Garbled_input_never_throws()
        {
            var random = new Random(7);
            const string alphabet = "|/:.-_a0Z@ \u00e9";
            for (var i = 0; i < 5000; i++)
            {
                var chars = new char[random.Next(0, 40)];
                for (var c = 0; c < chars.Length; c++)
                {
                    chars[c] = alphabet[random.Next(alphabet.Length)];
                }
                CalicoPolicyString.TryParse(new string(chars), null, out _, out _);
            }
        }
    }
}
