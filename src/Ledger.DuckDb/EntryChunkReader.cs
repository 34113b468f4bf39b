using DuckDB.NET.Data;
using DuckDB.NET.Native;
using PolicyTrail.Ledger.Entries;

namespace PolicyTrail.Ledger.DuckDb;

/// <summary>
/// Reads whole entries through DuckDB's C API, a data chunk (up to 2,048 rows) at a time, each value straight from its
/// column's vector. Through ADO.NET each value costs two calls (IsDBNull, then the value): about half of reading a row,
/// and a row is read for every entry that verify checks.
/// </summary>
internal static unsafe class EntryChunkReader
{
    // The types of the entry columns (DuckDbLedgerStore.EntryColumns), in order. A result of other types (a store whose
    // columns were altered) is read through ADO.NET instead, which converts or refuses each value as before.
    private static readonly DuckDBType[] Types =
    [
        DuckDBType.BigInt, DuckDBType.UnsignedInteger, DuckDBType.UnsignedInteger, DuckDBType.UnsignedInteger, DuckDBType.UnsignedInteger,
        DuckDBType.BigInt, DuckDBType.BigInt, DuckDBType.BigInt, DuckDBType.BigInt, DuckDBType.Integer, DuckDBType.Integer, DuckDBType.BigInt,
        DuckDBType.UnsignedBigInt, DuckDBType.UnsignedBigInt, DuckDBType.UnsignedBigInt, DuckDBType.UnsignedBigInt,
        DuckDBType.BigInt, DuckDBType.BigInt, DuckDBType.BigInt, DuckDBType.UnsignedInteger, DuckDBType.UnsignedInteger, DuckDBType.UnsignedInteger,
        DuckDBType.Blob,
    ];

    /// <summary>
    /// The rows of <paramref name="sql"/> (which selects the entry columns), each filled into the row
    /// <paramref name="next"/> hands out just before it is returned; <paramref name="fallback"/>'s rows when the result's
    /// column types are not the entry columns'.
    /// </summary>
    public static IEnumerable<EntryRow> Read(DuckDBConnection connection, string sql, Func<EntryRow> next, Func<IEnumerable<EntryRow>> fallback)
    {
        using var statement = Prepare(connection, sql);
        if (NativeMethods.PreparedStatements.DuckDBExecutePreparedStreaming(statement, out var result) != DuckDBState.Success)
        {
            var error = NativeMethods.Query.DuckDBResultError(ref result);
            NativeMethods.Query.DuckDBDestroyResult(ref result);
            throw new InvalidOperationException($"reading the entries failed: {error}");
        }
        var open = true;
        try
        {
            if (!HasEntryTypes(ref result))
            {
                // The fallback runs the query again: this result is let go first.
                NativeMethods.Query.DuckDBDestroyResult(ref result);
                open = false;
                foreach (var row in fallback())
                {
                    yield return row;
                }
                yield break;
            }
            var columns = new Columns();
            while (true)
            {
                using var chunk = NativeMethods.Query.DuckDBFetchChunk(result);
                if (chunk.IsInvalid)
                {
                    yield break;
                }
                var size = (int)NativeMethods.DataChunks.DuckDBDataChunkGetSize(chunk);
                if (size == 0)
                {
                    yield break;
                }
                columns.Load(chunk);
                for (var i = 0; i < size; i++)
                {
                    yield return Fill(columns, i, next());
                }
            }
        }
        finally
        {
            if (open)
            {
                NativeMethods.Query.DuckDBDestroyResult(ref result);
            }
        }
    }

    private static DuckDBPreparedStatement Prepare(DuckDBConnection connection, string sql)
    {
        if (NativeMethods.PreparedStatements.DuckDBPrepare(connection.NativeConnection, sql, out var statement) != DuckDBState.Success)
        {
            var error = NativeMethods.PreparedStatements.DuckDBPrepareError(statement);
            statement.Dispose();
            throw new InvalidOperationException($"reading the entries failed: {error}");
        }
        return statement;
    }

    private static bool HasEntryTypes(ref DuckDBResult result)
    {
        if (NativeMethods.Query.DuckDBColumnCount(ref result) != (ulong)Types.Length)
        {
            return false;
        }
        for (var i = 0; i < Types.Length; i++)
        {
            if (NativeMethods.Query.DuckDBColumnType(ref result, i) != Types[i])
            {
                return false;
            }
        }
        return true;
    }

    // A column's values and validity bits in the current chunk (valid while the chunk is).
    private sealed class Columns
    {
        public readonly nint[] Data = new nint[Types.Length];
        public readonly nint[] Validity = new nint[Types.Length];

        public void Load(DuckDBDataChunk chunk)
        {
            for (var i = 0; i < Types.Length; i++)
            {
                var vector = NativeMethods.DataChunks.DuckDBDataChunkGetVector(chunk, i);
                Data[i] = (nint)NativeMethods.Vectors.DuckDBVectorGetData(vector);
                Validity[i] = (nint)NativeMethods.Vectors.DuckDBVectorGetValidity(vector);
            }
        }

        // No validity mask means every value is there.
        public bool Valid(int column, int row)
        {
            var bits = (ulong*)Validity[column];
            return bits is null || ((bits[row >> 6] >> (row & 63)) & 1) != 0;
        }

        public T? Nullable<T>(int column, int row) where T : unmanaged => Valid(column, row) ? ((T*)Data[column])[row] : null;

        // A column the schema declares NOT NULL: a NULL there reads as 0.
        public T Required<T>(int column, int row) where T : unmanaged => Valid(column, row) ? ((T*)Data[column])[row] : default;
    }

    // Every field is set. A NULL in a column the schema declares NOT NULL (only an edit outside PolicyTrail makes one)
    // reads as 0, as a nulled SHA-256 part does: the entry then fails its leaf hash and verify names it.
    private static EntryRow Fill(Columns c, int r, EntryRow row)
    {
        row.Index = c.Required<long>(0, r);
        row.Template = c.Required<uint>(1, r);
        row.Src = c.Nullable<uint>(2, r);
        row.Dst = c.Nullable<uint>(3, r);
        row.SourceRef = c.Nullable<uint>(4, r);
        row.Time = c.Required<long>(5, r);
        row.ObservedAt = c.Nullable<long>(6, r);
        row.WindowStart = c.Nullable<long>(7, r);
        row.WindowEnd = c.Nullable<long>(8, r);
        row.SrcPort = c.Nullable<int>(9, r);
        row.DstPort = c.Nullable<int>(10, r);
        row.Line = c.Nullable<long>(11, r);
        row.Count = c.Nullable<long>(16, r);
        row.Packets = c.Nullable<long>(17, r);
        row.Bytes = c.Nullable<long>(18, r);
        row.LeafTag = c.Required<uint>(19, r);
        row.Ingress = c.Nullable<uint>(20, r);
        row.Egress = c.Nullable<uint>(21, r);
        row.Body = c.Valid(22, r) ? Blob((byte*)c.Data[22] + (16 * r)) : null;
        Span<ulong> parts = [c.Required<ulong>(12, r), c.Required<ulong>(13, r), c.Required<ulong>(14, r), c.Required<ulong>(15, r)];
        DuckDbLedgerStore.SetSha256(row, c.Valid(12, r), parts);
        return row;
    }

    // duckdb_string_t: 16 bytes, a 32-bit length and then the bytes themselves when they fit in 12, else a 4-byte
    // prefix and a pointer to them.
    private static byte[] Blob(byte* value)
    {
        var length = *(uint*)value;
        var bytes = length <= 12 ? value + 4 : *(byte**)(value + 8);
        return new ReadOnlySpan<byte>(bytes, checked((int)length)).ToArray();
    }
}
