using System.Text;

namespace PolicyTrail.Query.Filtering;

/// <summary>
/// A Kubernetes label selector as kubectl writes it (<c>app=web,tier!=db,env in (a,b),!x,x</c>): requirements
/// separated by commas, all of which must hold.
/// </summary>
public sealed class LabelSelector
{
    private readonly IReadOnlyList<Requirement> _requirements;

    private LabelSelector(string text, IReadOnlyList<Requirement> requirements) => (Text, _requirements) = (text, requirements);

    /// <summary>The selector as given.</summary>
    public string Text { get; }

    /// <summary>Whether labels satisfy every requirement (<c>!=</c>, <c>notin</c> and <c>!x</c> hold for an absent label).</summary>
    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        foreach (var r in _requirements)
        {
            var has = labels.TryGetValue(r.Key, out var value);
            var ok = r.Operator switch
            {
                Op.Exists => has,
                Op.DoesNotExist => !has,
                Op.In => has && r.Values.Contains(value!),
                _ => !has || !r.Values.Contains(value!),
            };
            if (!ok)
            {
                return false;
            }
        }
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => Text;

    /// <summary>Parses a selector.</summary>
    /// <exception cref="FilterValueException">The text is not a label selector (the message says why and where).</exception>
    public static LabelSelector Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var reader = new Reader(text);
        var requirements = new List<Requirement>();
        do
        {
            requirements.Add(reader.Requirement());
        }
        while (reader.Comma());
        reader.End();
        return new LabelSelector(text, requirements);
    }

    private enum Op
    {
        Exists,
        DoesNotExist,
        In,
        NotIn,
    }

    private sealed record Requirement(string Key, Op Operator, IReadOnlySet<string> Values);

    private sealed class Reader(string text)
    {
        private int _at;

        private FilterValueException Error(string what) =>
            new($"label selector '{text}': {what} at position {_at + 1}");

        private void Space()
        {
            while (_at < text.Length && text[_at] == ' ')
            {
                _at++;
            }
        }

        private bool Take(string token)
        {
            Space();
            if (string.CompareOrdinal(text, _at, token, 0, token.Length) == 0)
            {
                _at += token.Length;
                return true;
            }
            return false;
        }

        public bool Comma() => Take(",");

        public void End()
        {
            Space();
            if (_at < text.Length)
            {
                throw Error($"unexpected '{text[_at]}'");
            }
        }

        private string Word()
        {
            Space();
            var start = _at;
            while (_at < text.Length && (char.IsAsciiLetterOrDigit(text[_at]) || text[_at] is '-' or '_' or '.' or '/'))
            {
                _at++;
            }
            return text[start.._at];
        }

        public Requirement Requirement()
        {
            if (Take("!"))
            {
                return new Requirement(Key(), Op.DoesNotExist, new HashSet<string>());
            }
            var key = Key();
            Space();
            if (Take("!="))
            {
                return new Requirement(key, Op.NotIn, new HashSet<string>(StringComparer.Ordinal) { Value() });
            }
            if (Take("==") || Take("="))
            {
                return new Requirement(key, Op.In, new HashSet<string>(StringComparer.Ordinal) { Value() });
            }
            var save = _at;
            var word = Word();
            if (word is "in" or "notin")
            {
                if (!Take("("))
                {
                    throw Error($"'(' expected after '{word}'");
                }
                var values = new HashSet<string>(StringComparer.Ordinal);
                do
                {
                    values.Add(Value());
                }
                while (Take(","));
                if (!Take(")"))
                {
                    throw Error("')' expected");
                }
                return new Requirement(key, word == "in" ? Op.In : Op.NotIn, values);
            }
            _at = save;
            Space();
            if (_at < text.Length && text[_at] != ',')
            {
                throw Error($"'=', '==', '!=', 'in' or 'notin' expected, not '{text[_at]}'");
            }
            return new Requirement(key, Op.Exists, new HashSet<string>());
        }

        private string Key()
        {
            var key = Word();
            if (key.Length == 0)
            {
                throw Error("label key expected");
            }
            var slash = key.IndexOf('/', StringComparison.Ordinal);
            var (prefix, name) = slash < 0 ? ("", key) : (key[..slash], key[(slash + 1)..]);
            if (slash >= 0 && (prefix.Length is 0 or > 253 || !prefix.Split('.').All(IsDnsLabel)))
            {
                throw Error($"'{key}' has an invalid prefix (a DNS subdomain before '/')");
            }
            if (!IsName(name))
            {
                throw Error($"'{key}' is not a label key (at most 63 letters, digits, '-', '_', '.', starting and ending alphanumeric)");
            }
            return key;
        }

        private string Value()
        {
            var value = Word();
            if (value.Length > 0 && !IsName(value))
            {
                throw Error($"'{value}' is not a label value (at most 63 letters, digits, '-', '_', '.', starting and ending alphanumeric)");
            }
            return value;
        }

        private static bool IsName(string s) =>
            s.Length is > 0 and <= 63 && char.IsAsciiLetterOrDigit(s[0]) && char.IsAsciiLetterOrDigit(s[^1])
            && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

        private static bool IsDnsLabel(string s) =>
            s.Length is > 0 and <= 63 && char.IsAsciiLetterOrDigit(s[0]) && char.IsAsciiLetterOrDigit(s[^1])
            && s.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');
    }
}
