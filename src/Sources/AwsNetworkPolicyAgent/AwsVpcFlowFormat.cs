using PolicyTrail.Sources.Formats;

namespace PolicyTrail.Sources.AwsNetworkPolicyAgent;

/// <summary>
/// AWS VPC Flow Logs as text: the version 2 default format (14 space-separated fields), or any custom field order
/// when the input starts with the header line S3 delivery writes ("version account-id interface-id srcaddr ...").
/// </summary>
public sealed class AwsVpcFlowFormat : IFlowFormat
{
    /// <inheritdoc />
    public string Name => "aws-vpc-flow";

    /// <inheritdoc />
    public string Description => "AWS VPC Flow Logs text records (v2 default format, or custom fields after an S3 header line)";

    /// <inheritdoc />
    public int Detect(IReadOnlyList<string> sample)
    {
        var hits = 0;
        foreach (var line in sample)
        {
            var tokens = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (AwsVpcFlowParser.IsHeader(tokens))
            {
                hits++;
            }
            else if (tokens.Length == AwsVpcFlowParser.DefaultFields.Length && tokens[0] == "2" && tokens[2].StartsWith("eni-", StringComparison.Ordinal)
                     && tokens[13] is "OK" or "NODATA" or "SKIPDATA" && tokens[12] is "ACCEPT" or "REJECT" or "-")
            {
                hits++;
            }
        }
        return hits == 0 ? 0 : Math.Min(95, 80 + hits * 5);
    }

    /// <inheritdoc />
    public ILineParser CreateParser(FormatOptions options) => new AwsVpcFlowParser(options);
}
