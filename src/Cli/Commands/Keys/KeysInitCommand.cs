using System.ComponentModel;
using System.Text;
using PolicyTrail.Ledger.Checkpoints;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PolicyTrail.Cli.Commands.Keys;

/// <summary>Options of <c>policytrail keys init</c>.</summary>
internal sealed class KeysInitSettings : CommandSettings
{
    [CommandOption("--out <DIR>")]
    [Description("Folder for policytrail.key (the signing key, mode 0600) and policytrail.pub (the verifier key). Default: the current folder. Example: --out /etc/policytrail")]
    public string Out { get; set; } = ".";

    [CommandOption("--name <NAME>")]
    [Description("Key name written in every signature (no spaces or '+'); default policytrail/<host name>. Example: --name audit.example.com/collector-1")]
    public string? Name { get; set; }

    [CommandOption("--force")]
    [Description("Replace an existing key (checkpoints signed with the old one then need the old verifier key). Example: --force")]
    public bool Force { get; set; }

    public string KeyName => Name ?? $"policytrail/{Environment.MachineName.ToLowerInvariant()}";

    public override ValidationResult Validate() =>
        KeyName.Length == 0 || KeyName.Any(c => char.IsWhiteSpace(c) || c == '+' || char.IsControl(c))
            ? ValidationResult.Error($"--name '{KeyName}' must be non-empty with no spaces, control characters or '+'")
            : ValidationResult.Success();
}

/// <summary><c>policytrail keys init</c>: create the Ed25519 key that signs checkpoints, and print its verifier key.</summary>
internal sealed class KeysInitCommand(Terminal terminal) : Command<KeysInitSettings>
{
    public const string SignerFile = "policytrail.key";
    public const string VerifierFile = "policytrail.pub";

    public static void Register(IConfigurator config) =>
        config.AddBranch("keys", keys =>
        {
            keys.SetDescription("Manage the Ed25519 key that signs the ledger's checkpoints (C2SP signed-note format).");
            keys.AddCommand<KeysInitCommand>("init")
                .WithDescription("Create a signing key (mode 0600) and print its verifier key, which auditors use to check checkpoints and proofs.")
                .WithExample("keys", "init")
                .WithExample("keys", "init", "--out", "/etc/policytrail", "--name", "audit.example.com/collector-1")
                .WithExample("keys", "init", "--out", "keys", "--force");
        });

    public override int Execute(CommandContext context, KeysInitSettings settings, CancellationToken cancellationToken)
    {
        var signerPath = Path.Combine(settings.Out, SignerFile);
        var verifierPath = Path.Combine(settings.Out, VerifierFile);
        if (File.Exists(signerPath) && !settings.Force)
        {
            throw new UserInputException($"{signerPath}: a signing key exists already (use --force to replace it)");
        }
        var (signer, verifier) = NoteKeys.Generate(settings.KeyName);
        try
        {
            Directory.CreateDirectory(settings.Out);
            WriteSecret(signerPath, signer + "\n");
            File.WriteAllText(verifierPath, verifier + "\n", new UTF8Encoding(false));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"{settings.Out}: cannot write the key: {e.Message}");
        }
        terminal.Out.WriteLine(verifier);
        terminal.Error.WriteLine($"wrote {signerPath} (signing key, mode 0600: keep it secret) and {verifierPath} (verifier key, printed above: give it to auditors)");
        return ExitCodes.Ok;
    }

    public static void WriteSecret(string path, string text)
    {
        // Created with mode 0600 from the start, so the key is never readable by others, not even for a moment.
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using var stream = new FileStream(path, options);
        stream.Write(Encoding.UTF8.GetBytes(text));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }
}
