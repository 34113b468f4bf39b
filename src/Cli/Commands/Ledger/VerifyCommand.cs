using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using PolicyTrail.Ledger.Verification;
using Spectre.Console.Cli;

namespace PolicyTrail.Cli.Commands.Ledger;

/// <summary>Options of <c>policytrail verify</c>.</summary>
internal sealed class VerifySettings : StoreSettings
{
    [CommandOption("--key <VERIFIER-KEY>")]
    [Description("The verifier key (as 'policytrail keys init' printed it) or a file holding it. Default: policytrail.pub beside the store. Example: --key 'policytrail/host+1a2b3c4d+AaBb...'")]
    public string? Key { get; set; }
}

/// <summary><c>policytrail verify</c>: recompute every entry and the tree, and check every checkpoint.</summary>
internal sealed class VerifyCommand(Terminal terminal) : Command<VerifySettings>
{
    public static void Register(IConfigurator config) =>
        config.AddCommand<VerifyCommand>("verify")
            .WithDescription("Check that the ledger is intact: every entry rebuilt and hashed, the Merkle tree rebuilt, every checkpoint's signature, root and consistency with the one before. Exit 0 when intact, 1 naming the first entry or checkpoint that is wrong.")
            .WithExample("verify")
            .WithExample("verify", "--store", "audit.duckdb", "--key", "auditor/policytrail.pub");

    public override int Execute(CommandContext context, VerifySettings settings, CancellationToken cancellationToken)
    {
        var (key, from) = StoreSettings.VerifierKey(settings.Key, settings.StoreFolder);
        using var store = settings.OpenExisting();
        var clock = Stopwatch.StartNew();
        var result = LedgerVerifier.Verify(store, key, read =>
        {
            if (terminal.StderrIsTerminal)
            {
                terminal.Error.Write($"\rverified {read:N0} entries...");
            }
        }, cancellationToken);
        if (terminal.StderrIsTerminal)
        {
            terminal.Error.Write("\r");
        }
        var seconds = clock.Elapsed.TotalSeconds;
        if (!result.Intact)
        {
            terminal.Out.WriteLine($"FAILED {settings.Store}: {result.Problem}");
            return ExitCodes.Findings;
        }
        terminal.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"OK {settings.Store}: {result.Entries} entries, {result.Checkpoints} checkpoints, latest root {Convert.ToHexStringLower(result.Root!)} (origin {result.Origin}; key {key.Name} from {from}; {seconds:F1} s, {(seconds > 0 ? result.Entries / seconds : 0):F0} entries/s)"));
        return ExitCodes.Ok;
    }
}
