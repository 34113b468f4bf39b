namespace PolicyTrail.Sources.Reading;

/// <summary>
/// Reads a file like <c>tail -F</c>: at the end it waits for more; when the file is truncated it starts again from the
/// top; when it is rotated (renamed or deleted and re-created) it finishes the old file, then opens the new one at the
/// start. Ends when the token is cancelled. Linux: rotation is seen through /proc/self/fd.
/// </summary>
public sealed class FollowStream : ReadOnlyStream
{
    private readonly string _path;
    private readonly CancellationToken _stop;
    private readonly TimeSpan _poll;
    private FileStream _file;

    /// <summary>Opens the file (which must exist) for following.</summary>
    public FollowStream(string path, CancellationToken stop, TimeSpan? poll = null)
    {
        _path = Path.GetFullPath(path);
        _stop = stop;
        _poll = poll ?? TimeSpan.FromMilliseconds(200);
        _file = OpenShared(_path);
    }

    /// <summary>Raised when the stream switched to a new file (rotation) or restarted it (truncation).</summary>
    public event Action<string>? Restarted;

    /// <inheritdoc />
    public override int Read(Span<byte> buffer)
    {
        while (true)
        {
            var read = _file.Read(buffer);
            if (read > 0)
            {
                return read;
            }
            if (_stop.IsCancellationRequested)
            {
                return 0;
            }
            if (Rotated())
            {
                // The old file is drained (read returned 0): move to the new one.
                if (File.Exists(_path))
                {
                    _file.Dispose();
                    _file = OpenShared(_path);
                    Restarted?.Invoke("rotated");
                    continue;
                }
            }
            else if (_file.Length < _file.Position)
            {
                _file.Position = 0;
                Restarted?.Invoke("truncated");
                continue;
            }
            try
            {
                Task.Delay(_poll, _stop).Wait(_stop);
            }
            catch (OperationCanceledException)
            {
                return 0;
            }
        }
    }

    private bool Rotated()
    {
        try
        {
            var link = new FileInfo($"/proc/self/fd/{_file.SafeFileHandle.DangerousGetHandle()}").LinkTarget;
            return link is null || link != _path;
        }
        catch (IOException)
        {
            return true;
        }
    }

    private static FileStream OpenShared(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16);

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _file.Dispose();
        }
        base.Dispose(disposing);
    }
}
