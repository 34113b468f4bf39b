using PolicyTrail.Sources.Ovn;

namespace PolicyTrail.Sources.Tests.Ovn;

public class OvnAclNameTests
{
    public class Given_a_whole_name
    {
        // Names follow ovn-kubernetes libovsdb/util GetACLName (2023+), its older gress/default-deny/egress-firewall
        // names, and Kube-OVN's network policy ACL names; the first five also appear in ../shared ovn-acl.log.
        [Theory]
        [InlineData("NP:verify-audit-logging:allow-from-same-namespace:Ingress:0", "NetworkPolicy", "verify-audit-logging", "allow-from-same-namespace", 0, "ingress")]
        [InlineData("NP:verify-audit-logging:Ingress", "NetworkPolicy", "verify-audit-logging", OvnAclName.DefaultDeny, null, "ingress")]
        [InlineData("NP:team-a:Egress", "NetworkPolicy", "team-a", OvnAclName.DefaultDeny, null, "egress")]
        [InlineData("ANP:cluster-control:Egress:5", "AdminNetworkPolicy", null, "cluster-control", 5, "egress")]
        [InlineData("BANP:default:Ingress:1", "BaselineAdminNetworkPolicy", null, "default", 1, "ingress")]
        [InlineData("EF:prod:3", "EgressFirewall", "prod", "default", 3, "egress")]
        [InlineData("verify-audit-logging_allow-from-same-namespace_0", "NetworkPolicy", "verify-audit-logging", "allow-from-same-namespace", 0, "line")]
        [InlineData("verify-audit-logging_deny-all", "NetworkPolicy", "verify-audit-logging", "deny-all", null, "line")]
        [InlineData("prod_ingressDefaultDeny", "NetworkPolicy", "prod", OvnAclName.DefaultDeny, null, "ingress")]
        [InlineData("a16982411286042166782_egressDefaultDeny", "NetworkPolicy", null, OvnAclName.DefaultDeny, null, "egress")]
        [InlineData("egressFirewall_prod_9999", "EgressFirewall", "prod", "default", null, "egress")]
        [InlineData("np/allow.web.prod/ingress/IPv4/2", "NetworkPolicy", "prod", "allow.web", 2, "ingress")]
        [InlineData("np/default-deny-ingress.kube-system/IPv4/0", "NetworkPolicy", "kube-system", "default-deny-ingress", 0, "line")]
        [InlineData("np/web.prod/egress/IPv6/all", "NetworkPolicy", "prod", "web", null, "egress")]
        [InlineData("np/web.prod/ingress/IPv4/1/ipBlock", "NetworkPolicy", "prod", "web", 1, "ingress")]
        [InlineData("kube-system/default-deny-ingress", "NetworkPolicy", "kube-system", "default-deny-ingress", null, "line")]
        public void Kind_namespace_name_rule_and_side_are_read(string acl, string kind, string? ns, string name, int? rule, string direction)
        {
            // "line" stands for the side the log line gave, used when the name does not say.
            var hit = OvnAclName.Parse(acl, "deny", "line");
            Assert.NotNull(hit);
            Assert.Equal(kind, hit.Kind);
            Assert.Equal(ns, hit.Namespace);
            Assert.Equal(name, hit.Name);
            Assert.Equal(rule, hit.RuleIndex);
            Assert.Equal(direction, hit.Direction);
            Assert.Equal("deny", hit.Action);
        }

        [Theory]
        [InlineData("")]
        [InlineData("<unnamed>")]
        [InlineData("NP:ns:policy:Sideways:0")]
        [InlineData("NP:ns:policy:Ingress:x")]
        [InlineData("NP:ns:policy:Ingress")]
        [InlineData("ANP:a:Ingress")]
        [InlineData("EF:prod")]
        [InlineData("ns_ARPallowPolicy")]
        [InlineData("something-else")]
        [InlineData("np/nodot/ingress/IPv4/0")]
        [InlineData("np/web.prod/ingress/IPv5/0")]
        public void Unnamed_or_unknown_names_give_no_hit(string acl) => Assert.Null(OvnAclName.Parse(acl, "allow", "ingress"));

        [Theory]
        [InlineData("allow", "allow")]
        [InlineData("allow-related", "allow")]
        [InlineData("allow-stateless", "allow")]
        [InlineData("drop", "deny")]
        [InlineData("reject", "reject")]
        [InlineData("pass", "pass")]
        [InlineData("<unknown>", null)]
        public void Verdicts_become_hit_actions(string verdict, string? action) => Assert.Equal(action, OvnAclName.ActionFor(verdict));
    }

    public class Given_a_name_cut_at_63_characters
    {
        // ovn-kubernetes prints the ACL name with %.63s: the tail of a long name is lost without a marker.
        private static string Cut(string full)
        {
            Assert.True(full.Length > OvnAclName.MaxLength, $"test name is only {full.Length} long");
            return full[..OvnAclName.MaxLength];
        }

        [Fact]
        public void A_cut_rule_index_is_unknown_but_name_and_side_remain()
        {
            var full = "NP:" + new string('n', 20) + ":" + new string('p', 29) + ":Ingress:12"; // 64: the '2' is lost
            var hit = OvnAclName.Parse(Cut(full), "allow", "ingress")!;
            Assert.Equal((new string('n', 20), new string('p', 29)), (hit.Namespace, hit.Name));
            Assert.Equal("ingress", hit.Direction);
            Assert.Null(hit.RuleIndex);
        }

        [Fact]
        public void A_cut_direction_is_still_read_from_its_first_letters()
        {
            var full = "NP:" + new string('n', 30) + ":" + new string('p', 25) + ":Egress:0"; // cut to ":Egr"
            var hit = OvnAclName.Parse(Cut(full), "allow", null)!;
            Assert.Equal("egress", hit.Direction);
            Assert.Null(hit.RuleIndex);
            Assert.Equal(new string('p', 25), hit.Name);
        }

        [Fact]
        public void A_cut_policy_name_is_marked()
        {
            var full = "NP:" + new string('n', 30) + ":" + new string('p', 40) + ":Ingress:0";
            var hit = OvnAclName.Parse(Cut(full), "deny", "ingress")!;
            Assert.Equal(new string('n', 30), hit.Namespace);
            Assert.Equal(new string('p', 29) + OvnAclName.Cut, hit.Name);
            Assert.Equal("ingress", hit.Direction);
        }

        [Fact]
        public void A_cut_admin_policy_name_is_marked()
        {
            var full = "ANP:" + new string('a', 70) + ":Egress:1";
            var hit = OvnAclName.Parse(Cut(full), "pass", "egress")!;
            Assert.Equal("AdminNetworkPolicy", hit.Kind);
            Assert.Equal(new string('a', 59) + OvnAclName.Cut, hit.Name);
            Assert.Null(hit.RuleIndex);
        }

        [Fact]
        public void A_name_exactly_63_long_does_not_trust_its_last_digit()
        {
            var name = "NP:" + new string('n', 20) + ":" + new string('p', 29) + ":Ingress:1"; // 63, may be "…:Ingress:1x"
            Assert.Equal(OvnAclName.MaxLength, name.Length);
            Assert.Null(OvnAclName.Parse(name, "allow", "ingress")!.RuleIndex);
        }

        [Fact]
        public void Kube_ovn_marks_its_cut_with_three_dots()
        {
            var full = "np/" + new string('w', 45) + ".prod/egress/IPv4/0"; // printed as "...prod/egress/..."
            var printed = full[..60] + "...";
            var hit = OvnAclName.Parse(printed, "allow", "egress")!;
            Assert.Equal("prod", hit.Namespace);
            Assert.Equal(new string('w', 45), hit.Name);
            Assert.Equal("egress", hit.Direction);
            Assert.Null(hit.RuleIndex);
        }

        [Fact]
        public void Kube_ovn_default_drop_with_a_cut_policy_name_is_marked()
        {
            var printed = ("prod/" + new string('d', 70))[..60] + "...";
            var hit = OvnAclName.Parse(printed, "deny", "ingress")!;
            Assert.Equal("prod", hit.Namespace);
            Assert.Equal(new string('d', 55) + OvnAclName.Cut, hit.Name);
        }
    }
}
