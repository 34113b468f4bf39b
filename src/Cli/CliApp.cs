using PolicyTrail.Cli.Commands;
using PolicyTrail.Identity.Snapshots;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PolicyTrail.Cli;

/// <summary>The <c>policytrail</c> command: verbs, help with examples, and the exit-code contract.</summary>
internal static class CliApp
{
    /// <summary>Spectre.Console.Cli cannot take "-" as an option value; it stands for standard input, so it is swapped for this.</summary>
    public const string StdinArgument = "<stdin>";

    public static async Task<int> RunAsync(string[] args, Terminal terminal)
    {
        args = Commands.Evidence.EvidenceCommand.VerifyArguments(args.Select(a => a == "-" ? StdinArgument : a).ToArray());
        var app = new CommandApp(new TypeRegistrar(terminal));
        app.Configure(config =>
        {
            config.SetApplicationName("policytrail");
            var console = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(terminal.Out),
                Ansi = terminal.StdoutIsTerminal ? AnsiSupport.Detect : AnsiSupport.No,
                ColorSystem = terminal.StdoutIsTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            });
            if (!terminal.StdoutIsTerminal)
            {
                // Help piped to a file or pager reads better wide than wrapped at 80 columns.
                console.Profile.Width = 160;
            }
            config.ConfigureConsole(console);
            config.PropagateExceptions();
            config.AddExample("explain", "--cluster", "examples/cluster", "--from", "frontend/web-7d4b9c-x2x7p", "--to", "payments/api-5f6c8d-k9j2q", "--port", "8443");
            config.AddExample("parse", "flows.jsonl", "-o", "table");
            config.AddExample("ingest", "--cluster", "examples/cluster", "examples/flows/hubble.jsonl");
            config.AddExample("verify");
            config.AddExample("watch", "--out", "changes.jsonl");
            config.AddExample("export", "--format", "ocsf", "--since", "24h", "-o", "flows.ocsf.jsonl");
            Commands.Explain.ExplainCommand.Register(config);
            Commands.Parse.ParseCommand.Register(config);
            Commands.Keys.KeysInitCommand.Register(config);
            Commands.Ledger.IngestCommand.Register(config);
            Commands.Ledger.VerifyCommand.Register(config);
            Commands.Ledger.ProveCommand.Register(config);
            Commands.Ledger.VerifyProofCommand.Register(config);
            Commands.Ledger.QueryCommand.Register(config);
            Commands.Evidence.EvidenceCommand.Register(config);
            Commands.Export.ExportCommand.Register(config);
            Commands.Answers.AccessCommand.Register(config);
            Commands.Answers.TalkersCommand.Register(config);
            Commands.Answers.DeniedCommand.Register(config);
            Commands.Answers.CoverageCommand.Register(config);
            Commands.Report.ReportCommand.Register(config);
            Commands.Snapshot.SnapshotBranch.Register(config);
            Commands.Watch.WatchCommand.Register(config);
            Commands.Demo.DemoCommand.Register(config);
        });
        try
        {
            return await app.RunAsync(args);
        }
        catch (CommandAppException e)
        {
            await terminal.Error.WriteLineAsync($"policytrail: {e.Message.TrimEnd('.')} (see 'policytrail --help')");
            return ExitCodes.UsageOrInput;
        }
        catch (UserInputException e)
        {
            await terminal.Error.WriteLineAsync($"policytrail: {e.Message}");
            return ExitCodes.UsageOrInput;
        }
        catch (SnapshotFormatException e)
        {
            foreach (var problem in e.Problems)
            {
                await terminal.Error.WriteLineAsync($"policytrail: {problem}");
            }
            return ExitCodes.UsageOrInput;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A bug, not a user error: one line on stderr, the stack trace only when asked for.
            await terminal.Error.WriteLineAsync($"policytrail: internal error ({e.GetType().Name}): {e.Message}");
            if (Environment.GetEnvironmentVariable("POLICYTRAIL_DEBUG") is "1")
            {
                await terminal.Error.WriteLineAsync(e.ToString());
            }
            return ExitCodes.InternalError;
        }
        finally
        {
            terminal.Flush();
        }
    }
}
