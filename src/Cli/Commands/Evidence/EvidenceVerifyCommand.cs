using System.ComponentModel;
using PolicyTrail.Cli.Commands.Ledger;
using PolicyTrail.Ledger.Checkpoints;
using PolicyTrail.Ledger.Evidence;
using Spectre.Console.Cli;

namespace PolicyTrail.Cli.Commands.Evidence;

/// <summary>Options of <c>policytrail evidence verify</c>.</summary>
internal sealed class EvidenceVerifySettings : CommandSettings
{
    [CommandArgument(0, "<BUNDLE>")]
    [Description("An evidence bundle written by 'policytrail evidence'. Example: payments-2026-11.zip")]
    public string Bundle { get; set; } = "";

    [CommandOption("--key <VERIFIER-KEY>")]
    [Description("The verifier key the operator publishes (the key, or a file holding it): the checkpoint must be signed by it. Without it only the bundled key is used, which shows self-consistency only. Example: --key operator.vkey")]
    public string? Key { get; set; }
}

/// <summary><c>policytrail evidence verify</c>: check a bundle offline.</summary>
internal sealed class EvidenceVerifyCommand(Terminal terminal) : Command<EvidenceVerifySettings>
{
    /// <summary>The command's registered name; users type 'evidence verify' (see <see cref="EvidenceCommand.VerifyArguments"/>).</summary>
    public const string Name = "evidence-verify";

    public static void Register(IConfigurator config) =>
        config.AddCommand<EvidenceVerifyCommand>(Name)
            .WithDescription("Check an evidence bundle offline: every file against the manifest's SHA-256, the checkpoint's signature (with the bundled key, and with --key), every proof against the checkpoint's root, and that each proof's entry is its entry line. Prints one line per problem (file and line) and a summary. Exit 0 verified, 1 verification failed, 2 not a bundle.")
            .WithExample("evidence", "verify", "bundle.zip", "--key", "operator.vkey")
            .WithExample("evidence", "verify", "bundle.zip");

    public override int Execute(CommandContext context, EvidenceVerifySettings settings, CancellationToken cancellationToken)
    {
        NoteVerifier? trusted = settings.Key is null ? null : StoreSettings.VerifierKey(settings.Key, ".").Key;
        BundleVerification result;
        try
        {
            using var file = File.OpenRead(settings.Bundle);
            result = EvidenceBundleVerifier.Verify(file, trusted);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"{settings.Bundle}: cannot read: {e.Message}");
        }
        if (result.Unusable is { } why)
        {
            throw new UserInputException($"{settings.Bundle}: {why}");
        }
        foreach (var problem in result.Problems)
        {
            terminal.Out.WriteLine($"{settings.Bundle}: {problem}");
        }
        var root = result.RootHash is null ? "?" : Convert.ToHexStringLower(result.RootHash);
        if (!result.Verified)
        {
            terminal.Out.WriteLine($"FAILED {settings.Bundle}: {result.Problems.Count} problem{(result.Problems.Count == 1 ? "" : "s")} (listed above)");
            return ExitCodes.Findings;
        }
        terminal.Out.WriteLine($"OK {settings.Bundle}: {result.Entries} entries and {result.Policies} policy versions are in log {result.Origin} at tree size {result.TreeSize} (root {root})");
        if (trusted is not null)
        {
            terminal.Out.WriteLine($"key: the checkpoint is signed by the trusted key {trusted.Name}+{trusted.KeyId:x8} (--key){(result.BundledKey == trusted.Key ? "" : "; the bundled verifier.vkey is a different key")}");
        }
        else
        {
            terminal.Out.WriteLine($"key: checked with the bundled key only ({result.BundledKey}): this shows the bundle is consistent with itself; compare that key with the one the operator publishes, or give it with --key");
        }
        if (result.EntriesAfterCheckpoint > 0 || result.PolicyChangesAfterCheckpoint > 0)
        {
            terminal.Out.WriteLine($"note: per the manifest, {result.EntriesAfterCheckpoint} matching entries and {result.PolicyChangesAfterCheckpoint} policy changes lay after the checkpoint and are not in the bundle");
        }
        return ExitCodes.Ok;
    }
}
