using System.Globalization;
using System.Text.Json;
using FFMpegCore;
using FFMpegCore.Exceptions;
using VideoAutoR1.Core;

namespace VideoAutoR1.Media;

/// <summary>What ffprobe says about a video's first video stream.</summary>
/// <param name="DurationSeconds">Stream duration (container duration when the stream has none).</param>
/// <param name="AverageFps">avg_frame_rate: what decord/torchcodec report as the video's fps.</param>
/// <param name="FrameCount">nb_frames, or the demuxed packet count when the container does not store it.</param>
/// <param name="Width">Coded width, before rotation.</param>
/// <param name="Height">Coded height, before rotation.</param>
/// <param name="Rotation">Display rotation in degrees (ffmpeg applies it when decoding).</param>
/// <param name="Codec">ffprobe codec name, e.g. h264.</param>
/// <param name="StartSeconds">Stream start time, subtracted from frame timestamps.</param>
/// <param name="StreamIndex">Container index of the stream that is decoded.</param>
public sealed record VideoProbe(
    double DurationSeconds,
    double AverageFps,
    int FrameCount,
    int Width,
    int Height,
    int Rotation,
    string Codec,
    double StartSeconds,
    int StreamIndex)
{
    /// <summary>Frame size as decoded with rotation applied.</summary>
    public (int Width, int Height) DisplaySize => Math.Abs(Rotation % 180) == 90 ? (Height, Width) : (Width, Height);
}

/// <summary>Runs ffprobe through FFMpegCore and turns its answer, or its failure, into a <see cref="VideoProbe"/> or a typed error.</summary>
internal sealed class VideoProber(FFOptions ffOptions)
{
    public async Task<VideoProbe> ProbeAsync(string path, CancellationToken ct)
    {
        if (new FileInfo(path).Length == 0)
        {
            throw new VideoQaException(ErrorKind.UnsupportedMedia, "video_empty", "the video file is empty");
        }

        var analysis = await AnalyseAsync(path, null, ct);
        // Cover art in audio files is a one-picture "video" stream marked attached_pic; it is not a video.
        var stream = analysis.VideoStreams.FirstOrDefault(s => !(s.Disposition?.GetValueOrDefault("attached_pic") ?? false))
            ?? throw NoStream(analysis);
        var raw = analysis.Raw.Streams.First(s => s.Index == stream.Index);
        var frameCount = NbFrames(raw);
        if (frameCount is null)
        {
            // Matroska/WebM store no frame count; demuxing (not decoding) counts the packets, one per frame.
            var counted = await AnalyseAsync(path, "-count_packets", ct);
            frameCount = ReadInt(counted.Raw.Streams.First(s => s.Index == stream.Index), "nb_read_packets");
        }

        var fps = stream.AverageFrameRate > 0 ? stream.AverageFrameRate : stream.RealFrameRate;
        var duration = stream.Duration > TimeSpan.Zero ? stream.Duration : analysis.Duration;
        if (stream.Width is not > 0 || stream.Height is not > 0 || !(fps > 0) || duration <= TimeSpan.Zero || frameCount is not > 0)
        {
            throw new VideoQaException(ErrorKind.UnsupportedMedia, "video_corrupt",
                $"the {stream.CodecName} video stream has no usable size, frame rate, duration or frame count");
        }

        return new VideoProbe(duration.TotalSeconds, fps, frameCount.Value, stream.Width.Value, stream.Height.Value,
            stream.Rotation, stream.CodecName ?? "unknown", Math.Max(stream.StartTime.TotalSeconds, 0), stream.Index);
    }

    private async Task<IMediaAnalysis> AnalyseAsync(string path, string? customArguments, CancellationToken ct)
    {
        try
        {
            return await FFProbe.AnalyseAsync(path, ffOptions, customArguments, ct);
        }
        catch (Exception error) when (error is FFMpegException or FormatNullException or JsonException or InvalidOperationException
            && !ct.IsCancellationRequested)
        {
            throw new VideoQaException(ErrorKind.UnsupportedMedia, "video_corrupt", "the file is not a readable video container", error);
        }
    }

    private static VideoQaException NoStream(IMediaAnalysis analysis) =>
        new(ErrorKind.UnsupportedMedia, "video_no_stream",
            analysis.AudioStreams.Count > 0 ? "the file has audio but no video stream" : "the file has no video stream");

    private static int? NbFrames(FFProbeStream stream) => ReadInt(stream, "nb_frames");

    private static int? ReadInt(FFProbeStream stream, string key) =>
        stream.ExtensionData is { } extra && extra.TryGetValue(key, out var value)
            && int.TryParse(value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
            && n > 0
                ? n
                : null;
}
