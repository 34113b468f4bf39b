using System.Text;
using PolicyTrail.Ledger.Checkpoints;
using PolicyTrail.Ledger.Store;
using PolicyTrail.Ledger.Writing;

namespace PolicyTrail.Cli.Commands.Ledger;

/// <summary>
/// A store opened for appending with its signing key: the key given, or policytrail.key beside the store (created with
/// policytrail.pub when missing, and said so). Refuses a key other than the one that signed the store's checkpoints.
/// </summary>
internal sealed class LedgerSession : IDisposable
{
    private LedgerSession(ILedgerStore store, NoteSigner signer, LedgerWriter writer)
    {
        Store = store;
        Signer = signer;
        Writer = writer;
    }

    /// <summary>The store.</summary>
    public ILedgerStore Store { get; }

    /// <summary>The signing key.</summary>
    public NoteSigner Signer { get; }

    /// <summary>The writer that continues the store's log.</summary>
    public LedgerWriter Writer { get; }

    /// <summary>
    /// Opens (creating when missing) the store at <paramref name="storePath"/> for appending; <paramref name="memoryLimit"/>
    /// overrides the store's default buffer pool limit.
    /// </summary>
    public static LedgerSession Open(string storePath, string? keyOption, CheckpointPolicy policy, TextWriter messages, string? memoryLimit = null)
    {
        var storeFolder = Path.GetDirectoryName(Path.GetFullPath(storePath)) ?? ".";
        var signer = SigningKey(keyOption, storeFolder, messages);
        ILedgerStore? store = null;
        try
        {
            store = StoreOpener.Open(storePath, readOnly: false, memoryLimit);
            // One log, one key: checkpoints signed by two keys would fail verification with either.
            if (store.ReadCheckpoints().LastOrDefault() is { } last
                && !SignedNote.Open(Encoding.UTF8.GetBytes(last.Note), NoteVerifier.FromKey(signer.VerifierKey)).IsVerified)
            {
                throw new UserInputException($"{storePath}: its checkpoints are not signed by {signer.Name}+{signer.KeyId:x8}; use the key that signed them (--key)");
            }
            return new LedgerSession(store, signer, LedgerWriter.Open(store, signer, Origin(signer), policy));
        }
        catch
        {
            store?.Dispose();
            signer.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Store.Dispose();
        Signer.Dispose();
    }

    private static NoteSigner SigningKey(string? option, string storeFolder, TextWriter messages)
    {
        var path = option ?? Path.Combine(storeFolder, Keys.KeysInitCommand.SignerFile);
        if (option is null && !File.Exists(path))
        {
            var name = $"policytrail/{Environment.MachineName.ToLowerInvariant()}";
            var (signerKey, verifierKey) = NoteKeys.Generate(name);
            Keys.KeysInitCommand.WriteSecret(path, signerKey + "\n");
            File.WriteAllText(Path.Combine(storeFolder, Keys.KeysInitCommand.VerifierFile), verifierKey + "\n", new UTF8Encoding(false));
            messages.WriteLine($"no signing key given: created {path} (mode 0600) and {Path.Combine(storeFolder, Keys.KeysInitCommand.VerifierFile)}; verifier key: {verifierKey}");
        }
        if (!File.Exists(path))
        {
            throw new UserInputException($"{path}: no such signing key (create one with 'policytrail keys init')");
        }
        try
        {
            return NoteSigner.FromKey(File.ReadAllText(path).Trim());
        }
        catch (FormatException e)
        {
            throw new UserInputException($"{path}: not a signing key: {e.Message}");
        }
    }

    private static string Origin(NoteSigner signer) =>
        $"{signer.Name}/log-{DateTime.UtcNow:yyyyMMdd}-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4))}";
}
