using System.ComponentModel;
using PolicyTrail.Ledger.Verification;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PolicyTrail.Cli.Commands.Ledger;

/// <summary>Options of <c>policytrail verify-proof</c>.</summary>
internal sealed class VerifyProofSettings : CommandSettings
{
    [CommandArgument(0, "<PROOF>")]
    [Description("A proof written by 'policytrail prove', or - for stdin. Example: proof.json")]
    public string Proof { get; set; } = "";

    [CommandOption("--key <VERIFIER-KEY>")]
    [Description("The verifier key, or a file holding it (required: a proof is only as good as the key it is checked with). Example: --key policytrail.pub")]
    public string? Key { get; set; }

    public override ValidationResult Validate() =>
        Key is null ? ValidationResult.Error("--key VERIFIER-KEY is required") : ValidationResult.Success();
}

/// <summary><c>policytrail verify-proof</c>: check an inclusion proof without the store.</summary>
internal sealed class VerifyProofCommand(Terminal terminal) : Command<VerifyProofSettings>
{
    public static void Register(IConfigurator config) =>
        config.AddCommand<VerifyProofCommand>("verify-proof")
            .WithDescription("Check an inclusion proof offline: the entry hashes to its leaf, the audit path leads to the checkpoint's root, and the checkpoint is signed by the key. Exit 0 when valid, 1 when not.")
            .WithExample("verify-proof", "proof.json", "--key", "policytrail.pub");

    public override int Execute(CommandContext context, VerifyProofSettings settings, CancellationToken cancellationToken)
    {
        var (key, _) = StoreSettings.VerifierKey(settings.Key, ".");
        byte[] bytes;
        try
        {
            if (settings.Proof == CliApp.StdinArgument)
            {
                using var input = terminal.OpenInput();
                using var memory = new MemoryStream();
                input.CopyTo(memory);
                bytes = memory.ToArray();
            }
            else
            {
                bytes = File.ReadAllBytes(settings.Proof);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"{settings.Proof}: cannot read: {e.Message}");
        }
        InclusionProof proof;
        try
        {
            proof = InclusionProof.Parse(bytes);
        }
        catch (FormatException e)
        {
            throw new UserInputException($"{settings.Proof}: not a PolicyTrail inclusion proof: {e.Message}");
        }
        var check = proof.Verify(key);
        if (!check.IsValid)
        {
            terminal.Out.WriteLine($"INVALID {settings.Proof}: entry {proof.Index}: {check.FailureReason}");
            return ExitCodes.Findings;
        }
        terminal.Out.WriteLine($"OK {settings.Proof}: entry {proof.Index} is in {proof.Origin} at tree size {proof.TreeSize}, signed by {key.Name}");
        return ExitCodes.Ok;
    }
}
