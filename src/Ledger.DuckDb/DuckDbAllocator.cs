using System.Runtime.InteropServices;
using System.Text;
using DuckDB.NET.Data;

namespace PolicyTrail.Ledger.DuckDb;

/// <summary>
/// DuckDB's own allocator (the jemalloc built into its Linux library, behind <c>duckdb_je_mallctl</c>). DuckDB sets it to
/// hand memory it freed back to the system after a second (<c>dirty_decay_ms:1000</c>): a writer frees and allocates its
/// column buffers at every commit and checkpoint, so the same memory went back and was faulted in again, page by page,
/// all run long. A writer keeps it instead (<see cref="KeepFreedMemory"/>): what DuckDB holds is bounded by its buffer
/// pool's limit, and the process's peak does not change (docs/PERFORMANCE.md, session 11).
/// </summary>
internal static unsafe class DuckDbAllocator
{
    private static readonly Lazy<bool> Kept = new(Keep);

    /// <summary>
    /// Stops DuckDB's allocator from returning freed memory to the system, once per process; false where DuckDB's library
    /// has no such allocator (then nothing changes).
    /// </summary>
    public static bool KeepFreedMemory() => Kept.Value;

    /// <summary>A decay time of an allocator setting (<c>-1</c>: never), or null where there is none.</summary>
    internal static long? DecayMilliseconds(string setting)
    {
        var mallctl = Mallctl();
        if (mallctl == null)
        {
            return null;
        }
        long value = 0;
        nuint length = sizeof(long);
        fixed (byte* name = Encoding.ASCII.GetBytes(setting + "\0"))
        {
            return mallctl(name, &value, &length, null, 0) == 0 ? value : null;
        }
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
        long never = -1;
        // Arenas made from now on, then each one there is.
        foreach (var setting in (string[])["arenas.dirty_decay_ms", "arenas.muzzy_decay_ms"])
        {
            ok &= Call(mallctl, setting, null, null, &never, sizeof(long)) == 0;
        }
        for (var i = 0u; i < arenas; i++)
        {
            ok &= Call(mallctl, $"arena.{i}.dirty_decay_ms", null, null, &never, sizeof(long)) == 0;
            ok &= Call(mallctl, $"arena.{i}.muzzy_decay_ms", null, null, &never, sizeof(long)) == 0;
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
