using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using DuckDB.NET.Data;

namespace PolicyTrail.Ledger.DuckDb;

/// <summary>
/// DuckDB's own allocator (the jemalloc built into its Linux library, behind <c>duckdb_je_mallctl</c>). DuckDB sets it to
/// hand memory it freed back to the system after about a second (<c>dirty_decay_ms:1000</c>): a writer frees and
/// allocates its column buffers at every commit and checkpoint, so the same memory went back and was faulted in again,
/// page by page, all run long. An ingest keeps freed memory for <see cref="WriterDecayMilliseconds"/> instead
/// (<see cref="KeepFreedMemory"/>). Never returning it (<c>-1</c>) was as fast but raised a 10M-flow ingest's peak by
/// ~150 MB; five seconds kept the peak and took 38 % fewer page faults than one (docs/PERFORMANCE.md, session 11).
/// </summary>
internal static unsafe class DuckDbAllocator
{
    /// <summary>How long a writer's process keeps memory DuckDB freed before handing it back to the system.</summary>
    public const long WriterDecayMilliseconds = 5_000;

    private static readonly Lazy<bool> Kept = new(Keep);

    /// <summary>
    /// Has DuckDB's allocator keep freed memory for <see cref="WriterDecayMilliseconds"/>, once per process; false where
    /// DuckDB's library has no such allocator (then nothing changes).
    /// </summary>
    public static bool KeepFreedMemory() => Kept.Value;

    /// <summary>A decay time of an allocator setting (milliseconds, <c>-1</c>: never), or null where there is none.</summary>
    internal static long? DecayMilliseconds(string setting)
    {
        var mallctl = Mallctl();
        if (mallctl == null)
        {
            return null;
        }
        long value = 0;
        nuint length = sizeof(long);
        return Call(mallctl, setting, &value, &length, null, 0) == 0 ? value : null;
    }

    private static bool Keep()
    {
        var mallctl = Mallctl();
        if (mallctl == null)
        {
            return false;
        }
        uint arenas = 0;
        nuint length = sizeof(uint);
        if (Call(mallctl, "arenas.narenas", &arenas, &length, null, 0) != 0)
        {
            return false;
        }
        var ok = true;
        var decay = WriterDecayMilliseconds;
        // Arenas made from now on, then each one there is.
        foreach (var setting in (string[])["arenas.dirty_decay_ms", "arenas.muzzy_decay_ms"])
        {
            ok &= Call(mallctl, setting, null, null, &decay, sizeof(long)) == 0;
        }
        // An arena not made yet refuses the call, and will take the defaults just set.
        for (var i = 0u; i < arenas; i++)
        {
            Call(mallctl, string.Create(CultureInfo.InvariantCulture, $"arena.{i}.dirty_decay_ms"), null, null, &decay, sizeof(long));
            Call(mallctl, string.Create(CultureInfo.InvariantCulture, $"arena.{i}.muzzy_decay_ms"), null, null, &decay, sizeof(long));
        }
        return ok;
    }

    private static int Call(delegate* unmanaged<byte*, void*, nuint*, void*, nuint, int> mallctl, string setting, void* old, nuint* oldLength, void* value, nuint valueLength)
    {
        fixed (byte* name = Encoding.ASCII.GetBytes(setting + "\0"))
        {
            return mallctl(name, old, oldLength, value, valueLength);
        }
    }

    private static delegate* unmanaged<byte*, void*, nuint*, void*, nuint, int> Mallctl()
    {
        if (!OperatingSystem.IsLinux()
            || !NativeLibrary.TryLoad("duckdb", typeof(DuckDBConnection).Assembly, null, out var library)
            || !NativeLibrary.TryGetExport(library, "duckdb_je_mallctl", out var mallctl))
        {
            return null;
        }
        return (delegate* unmanaged<byte*, void*, nuint*, void*, nuint, int>)mallctl;
    }
}
