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

    [CommandOption("--checkpoint <FILE>")]
    [Description("A checkpoint kept outside the store (written by --save-checkpoint earlier); the store must still extend it. Repeatable. Catches a log cut back together with its last checkpoints. Example: --checkpoint /audit/checkpoints/2026-11-27.note")]
    public string[] Checkpoints { get; set; } = [];

    [CommandOption("--save-checkpoint <FILE>")]
    [Description("When the store verifies, write its latest signed checkpoint to FILE, to keep elsewhere (a WORM bucket, the audit file) for later --checkpoint checks. Example: --save-checkpoint /audit/checkpoints/2026-11-27.note")]
    public string? SaveCheckpoint { get; set; }
}

/// <summary><c>policytrail verify</c>: recompute every entry and the tree, and check every checkpoint.</summary>
internal sealed class VerifyCommand(Terminal terminal) : Command<VerifySettings>
{
    public static void Register(IConfigurator config) =>
        config.AddCommand<VerifyCommand>("verify")
            .WithDescription("Check that the ledger is intact: every entry rebuilt and hashed, the Merkle tree rebuilt, every checkpoint's signature, root and consistency with the one before. Exit 0 when intact, 1 naming the first entry or checkpoint that is wrong.")
            .WithExample("verify")
            .WithExample("verify", "--store", "audit.duckdb", "--key", "auditor/policytrail.pub")
            .WithExample("verify", "--save-checkpoint", "/audit/2026-11-27.note")
            .WithExample("verify", "--checkpoint", "/audit/2026-11-27.note");

    public override int Execute(CommandContext context, VerifySettings settings, CancellationToken cancellationToken)
    {
        var (key, from) = StoreSettings.VerifierKey(settings.Key, settings.StoreFolder);
        using var store = settings.OpenExisting();
        var clock = Stopwatch.StartNew();
        var kept = StoreSettings.ReadKeptCheckpoints(settings.Checkpoints);
        var result = LedgerVerifier.Verify(store, key, kept, read =>
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
        // The answers read a summary derived from the entries: an edit of it would change them with the ledger intact.
        var summaryClock = Stopwatch.StartNew();
        if (store.CheckSummaries() is { } summaryProblem)
        {
            terminal.Out.WriteLine($"FAILED {settings.Store}: {summaryProblem}");
            return ExitCodes.Findings;
        }
        var summarySeconds = summaryClock.Elapsed.TotalSeconds;
        if (settings.SaveCheckpoint is { } save && result.LatestCheckpoint is { } note)
        {
            try
            {
                File.WriteAllText(save, note);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UserInputException($"{save}: cannot write the checkpoint: {e.Message}");
            }
            terminal.Error.WriteLine($"wrote the latest checkpoint to {save}: keep it outside the store and pass it to verify --checkpoint later");
        }
        terminal.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"OK {settings.Store}: {result.Entries} entries, {result.Checkpoints} checkpoints, latest root {Convert.ToHexStringLower(result.Root!)} (origin {result.Origin}; key {key.Name} from {from}; {seconds:F1} s, {(seconds > 0 ? result.Entries / seconds : 0):F0} entries/s; summary recounted in {summarySeconds:F1} s)"));
        return ExitCodes.Ok;
    }
}
