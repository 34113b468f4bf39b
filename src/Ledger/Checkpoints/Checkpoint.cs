using System.Globalization;
using System.Text;
using PolicyTrail.Ledger.Merkle;

namespace PolicyTrail.Ledger.Checkpoints;

/// <summary>C2SP tlog-checkpoint: the note text naming a log (origin), its size and its RFC 6962 root hash, plus optional extension lines.</summary>
public sealed record Checkpoint(string Origin, long Size, byte[] RootHash, IReadOnlyList<string> Extensions)
{
    /// <summary>Checkpoint without extension lines.</summary>
    public Checkpoint(string origin, long size, byte[] rootHash)
        : this(origin, size, rootHash, [])
    {
    }

    /// <summary>The note text: "origin\nsize\nbase64(root)\n" followed by one line per extension.</summary>
    public string ToNoteText()
    {
        if (CheckOrigin(Origin) is { } originProblem)
        {
            throw new ArgumentException($"checkpoint origin {originProblem}");
        }
        if (Size < 0)
        {
            throw new ArgumentException($"checkpoint size {Size} is negative");
        }
        if (RootHash is not { Length: MerkleHash.Size })
        {
            throw new ArgumentException($"checkpoint root hash must be {MerkleHash.Size} bytes (got {RootHash?.Length.ToString(CultureInfo.InvariantCulture) ?? "null"})");
        }
        var text = new StringBuilder()
            .Append(Origin).Append('\n')
            .Append(Size.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append(Convert.ToBase64String(RootHash)).Append('\n');
        for (var i = 0; i < (Extensions?.Count ?? 0); i++)
        {
            if (CheckLine(Extensions![i]) is { } problem)
            {
                throw new ArgumentException($"checkpoint extension line {i + 1} {problem}");
            }
            text.Append(Extensions[i]).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>Parses a checkpoint note text strictly; throws <see cref="FormatException"/> naming the line at fault.</summary>
    public static Checkpoint Parse(string text) =>
        TryParse(text, out var checkpoint, out var error) ? checkpoint : throw new FormatException(error);

    /// <summary>Parses a checkpoint note text strictly, returning the reason instead of throwing.</summary>
    public static bool TryParse(string text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Checkpoint? checkpoint, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        checkpoint = null;
        error = Check(text, out var origin, out var size, out var root, out var extensions);
        if (error is not null)
        {
            error = $"invalid checkpoint: {error}";
            return false;
        }
        checkpoint = new Checkpoint(origin!, size, root!, extensions!);
        return true;
    }

    private static string? Check(string text, out string? origin, out long size, out byte[]? root, out string[]? extensions)
    {
        origin = null;
        size = 0;
        root = null;
        extensions = null;
        if (text is null)
        {
            return "no text";
        }
        if (SignedNote.CheckText(text) is { } textProblem)
        {
            return $"text {textProblem}";
        }
        var lines = text[..^1].Split('\n');
        if (lines.Length < 3)
        {
            return $"text has {lines.Length} lines; origin, size and root hash are required";
        }
        if (CheckOrigin(lines[0]) is { } originProblem)
        {
            return $"line 1 (origin) {originProblem}";
        }
        var sizeText = lines[1];
        if (sizeText.Length == 0 || !sizeText.All(char.IsAsciiDigit) || (sizeText.Length > 1 && sizeText[0] == '0'))
        {
            return $"line 2 (tree size) \"{sizeText}\" is not a decimal number without leading zeros";
        }
        if (!long.TryParse(sizeText, NumberStyles.None, CultureInfo.InvariantCulture, out size))
        {
            return $"line 2 (tree size) \"{sizeText}\" is too large";
        }
        if (!NoteFormat.TryDecodeBase64(lines[2], out var hash) || hash.Length != MerkleHash.Size)
        {
            return $"line 3 (root hash) is not the base64 of a {MerkleHash.Size}-byte hash";
        }
        for (var i = 3; i < lines.Length; i++)
        {
            if (CheckLine(lines[i]) is { } problem)
            {
                return $"line {i + 1} (extension) {problem}";
            }
        }
        origin = lines[0];
        root = hash;
        extensions = lines[3..];
        return null;
    }

    private static string? CheckOrigin(string? origin) => CheckLine(origin);

    private static string? CheckLine(string? line)
    {
        if (string.IsNullOrEmpty(line))
        {
            return "is empty";
        }
        return line.Contains('\n', StringComparison.Ordinal) ? "contains a newline" : SignedNote.CheckText(line + "\n") is { } p ? p : null;
    }

    /// <summary>Equal when origin, size, root bytes and extension lines are equal (records compare arrays by reference otherwise).</summary>
    public bool Equals(Checkpoint? other) =>
        other is not null
        && string.Equals(Origin, other.Origin, StringComparison.Ordinal)
        && Size == other.Size
        && RootHash.AsSpan().SequenceEqual(other.RootHash)
        && Extensions.SequenceEqual(other.Extensions, StringComparer.Ordinal);

    /// <summary>Hash over origin, size and root bytes.</summary>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Origin, StringComparer.Ordinal);
        hash.Add(Size);
        hash.AddBytes(RootHash);
        return hash.ToHashCode();
    }
}
