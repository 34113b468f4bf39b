namespace PolicyTrail.Query.Filtering;

/// <summary>A filter value a user gave is not valid; the message is one line saying what and where.</summary>
public sealed class FilterValueException(string message) : FormatException(message);
