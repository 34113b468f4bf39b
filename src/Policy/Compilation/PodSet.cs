namespace PolicyTrail.Policy.Compilation;

/// <summary>A fixed-size set of pod indexes: one bit a pod, so a peer match is one load and a mask.</summary>
internal sealed class PodSet
{
    private readonly ulong[] _words;

    public PodSet(int capacity) => _words = new ulong[(capacity + 63) / 64];

    public void Add(int index) => _words[index >> 6] |= 1UL << (index & 63);

    public bool Contains(int index) => (_words[index >> 6] & (1UL << (index & 63))) != 0;
}
