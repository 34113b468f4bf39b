using System.ComponentModel;
using PolicyTrail.Ledger.Checkpoints;
using PolicyTrail.Ledger.Store;
using Spectre.Console.Cli;

namespace PolicyTrail.Cli.Commands.Ledger;

/// <summary>The --store option every ledger verb shares, and how the store and its keys are found.</summary>
internal class StoreSettings : CommandSettings
{
    public const string DefaultStore = "policytrail.duckdb";

    [CommandOption("--store <PATH>")]
    [Description("The ledger store: a DuckDB file (created by ingest when missing). Default: ./policytrail.duckdb. Example: --store /var/lib/policytrail/audit.duckdb")]
    [DefaultValue(DefaultStore)]
    public string Store { get; set; } = DefaultStore;

    /// <summary>The folder the store lives in (where its keys are looked for by default).</summary>
    public string StoreFolder => Path.GetDirectoryName(Path.GetFullPath(Store)) ?? ".";

    /// <summary>Opens an existing store; a missing file is a usage error naming it.</summary>
    public ILedgerStore OpenExisting(bool readOnly = true)
    {
        if (!File.Exists(Store))
        {
            throw new UserInputException($"{Store}: no such store (create one with 'policytrail ingest --store {Store} ...')");
        }
        return StoreOpener.Open(Store, readOnly);
    }

    /// <summary>The checkpoints kept outside the store (--checkpoint FILE...), as text; an unreadable file is a user error.</summary>
    public static List<string> ReadKeptCheckpoints(IEnumerable<string> files)
    {
        var kept = new List<string>();
        foreach (var file in files)
        {
            try
            {
                kept.Add(File.ReadAllText(file));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UserInputException($"{file}: cannot read the checkpoint: {e.Message}");
            }
        }
        return kept;
    }

    /// <summary>
    /// The verifier key: the text of --key (a key, or a file holding one), else policytrail.pub beside the store.
    /// Returns the key and where it came from.
    /// </summary>
    public static (NoteVerifier Key, string From) VerifierKey(string? option, string storeFolder)
    {
        string text, from;
        if (option is not null && !File.Exists(option))
        {
            (text, from) = (option, "--key");
        }
        else
        {
            var path = option ?? Path.Combine(storeFolder, Keys.KeysInitCommand.VerifierFile);
            if (!File.Exists(path))
            {
                throw new UserInputException($"no verifier key: give --key KEY (or a file holding it); {path} does not exist");
            }
            (text, from) = (File.ReadAllText(path).Trim(), path);
        }
        try
        {
            return (NoteVerifier.FromKey(text.Trim()), from);
        }
        catch (FormatException e)
        {
            throw new UserInputException($"{from}: not a verifier key (expected name+hash+base64 as 'policytrail keys init' prints): {e.Message}");
        }
    }
}
