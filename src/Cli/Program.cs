using PolicyTrail.Cli;

using var terminal = Terminal.FromConsole();
return await CliApp.RunAsync(args, terminal);
