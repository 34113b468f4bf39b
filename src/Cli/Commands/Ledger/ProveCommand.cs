using System.ComponentModel;
using PolicyTrail.Ledger.Verification;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PolicyTrail.Cli.Commands.Ledger;

/// <summary>Options of <c>policytrail prove</c>.</summary>
internal sealed class ProveSettings : StoreSettings
{
    [CommandOption("--entry <N>")]
    [Description("Index of the entry to prove (as 'policytrail query' prints it). Example: --entry 42")]
    public long? Entry { get; set; }

    [CommandOption("-o|--output <PATH>")]
    [Description("Write the proof here instead of to standard output. Example: -o proof.json")]
    public string? Output { get; set; }

    public override ValidationResult Validate() =>
        Entry is null or < 0 ? ValidationResult.Error("--entry N is required (an entry index, 0 or more)") : ValidationResult.Success();
}

/// <summary><c>policytrail prove</c>: an inclusion proof of one entry against the latest checkpoint.</summary>
internal sealed class ProveCommand(Terminal terminal) : Command<ProveSettings>
{
    public static void Register(IConfigurator config) =>
        config.AddCommand<ProveCommand>("prove")
            .WithDescription("Write a self-contained inclusion proof of one entry (the entry, its audit path and the signed checkpoint) that 'policytrail verify-proof' or any RFC 6962 verifier checks without the store.")
            .WithExample("prove", "--entry", "42", "-o", "proof.json")
            .WithExample("prove", "--store", "audit.duckdb", "--entry", "1000000");

    public override int Execute(CommandContext context, ProveSettings settings, CancellationToken cancellationToken)
    {
        using var store = settings.OpenExisting();
        InclusionProof proof;
        try
        {
            proof = InclusionProof.Create(store, settings.Entry!.Value);
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or InvalidOperationException or InvalidDataException)
        {
            throw new UserInputException($"{settings.Store}: {(e as ArgumentOutOfRangeException)?.Message.Split(" (Parameter")[0] ?? e.Message}");
        }
        var json = proof.ToJson();
        if (settings.Output is null)
        {
            terminal.OutStream.Write(json);
        }
        else
        {
            try
            {
                File.WriteAllBytes(settings.Output, json);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UserInputException($"{settings.Output}: cannot write the proof: {e.Message}");
            }
            terminal.Error.WriteLine($"wrote {settings.Output}: entry {proof.Index} in a tree of {proof.TreeSize} entries ({proof.Path.Count} hashes)");
        }
        return ExitCodes.Ok;
    }
}
