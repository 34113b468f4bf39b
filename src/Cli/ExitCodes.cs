namespace PolicyTrail.Cli;

/// <summary>The exit codes every verb uses.</summary>
internal static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;
    /// <summary>Findings (e.g. verification failed, records rejected).</summary>
    public const int Findings = 1;
    /// <summary>Usage or input errors.</summary>
    public const int UsageOrInput = 2;
    /// <summary>A bug in PolicyTrail (EX_SOFTWARE); set POLICYTRAIL_DEBUG=1 for the stack trace.</summary>
    public const int InternalError = 70;
}

/// <summary>A user error: one line saying what and where; the CLI prints it and exits 2.</summary>
internal sealed class UserInputException : Exception
{
    public UserInputException(string message)
        : base(message)
    {
    }

    public UserInputException()
    {
    }

    public UserInputException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
