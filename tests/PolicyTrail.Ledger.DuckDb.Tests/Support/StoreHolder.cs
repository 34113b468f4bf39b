using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace PolicyTrail.Ledger.DuckDb.Tests.Support;

/// <summary>
/// A second process that holds a store open for writing: this test executable started again with
/// <see cref="Variable"/> set. Only a real second process meets DuckDB's file lock (inside one process DuckDB.NET shares
/// the database).
/// </summary>
public sealed class StoreHolder : IDisposable
{
    private const string Variable = "POLICYTRAIL_TEST_HOLD_DUCKDB";
    private readonly Process _process;

    private StoreHolder(Process process) => _process = process;

    /// <summary>The holder's process id.</summary>
    public int ProcessId => _process.Id;

    /// <summary>Starts a process that opens the store at <paramref name="path"/> for writing and keeps it until disposed.</summary>
    public static StoreHolder Start(string path)
    {
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
        var start = new ProcessStartInfo(host) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            start.ArgumentList.Add("exec");
            start.ArgumentList.Add(Assembly.GetExecutingAssembly().Location);
        }
        start.Environment[Variable] = path;
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {host}");
        var line = process.StandardOutput.ReadLine();
        if (line != "holding")
        {
            var error = process.StandardError.ReadToEnd();
            process.Kill();
            throw new InvalidOperationException($"the holder process said \"{line}\": {error}");
        }
        return new StoreHolder(process);
    }

    /// <summary>Tells the holder to close the store and waits for it to exit.</summary>
    public void Dispose()
    {
        _process.StandardInput.Close();
        if (!_process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            _process.Kill();
        }
        _process.Dispose();
    }

#pragma warning disable CA2255 // A module initializer is the one hook that runs before the test platform's entry point.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void HoldWhenAsked()
    {
        var path = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(path))
        {
            return;
        }
        using (DuckDbLedgerStore.Open(path))
        {
            Console.WriteLine("holding");
            Console.Out.Flush();
            Console.In.ReadToEnd();
        }
        Environment.Exit(0);
    }
}
