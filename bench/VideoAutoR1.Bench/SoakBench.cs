using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;

namespace VideoAutoR1.Bench;

/// <summary>
/// The memory soak of the hardening issue: the real service process (built Release output), rounds of concurrent
/// multipart uploads of a generated 16-frame 8192x8192 H.264 clip (one colour, ~200 KB), and the service's RSS
/// sampled from /proc: idle before the first round (the same-run baseline), peak during each round (and the
/// kernel's VmHWM high-water mark), and retained a few seconds after each round. For scale it also prints what one
/// full-size rgb24 decode of the clip would hold.
/// </summary>
public static class SoakBench
{
    public const string Help = "service RSS (idle, peak, retained) under concurrent uploads of a 16-frame 8192x8192 clip [--concurrency 3] [--rounds 3] [--settle 5]";

    public static async Task<int> RunAsync(string[] args)
    {
        var concurrency = MediaBench.IntArg(args, "--concurrency", 3);
        var rounds = MediaBench.IntArg(args, "--rounds", 3);
        var settle = TimeSpan.FromSeconds(MediaBench.IntArg(args, "--settle", 5));
        var service = ServiceDll();
        if (service is null)
        {
            Console.Error.WriteLine("build the service first: dotnet build src/VideoAutoR1.Service -c Release");
            return 2;
        }

        var dir = Directory.CreateTempSubdirectory("videoautor1-soak-bench-");
        try
        {
            var clip = Path.Combine(dir.FullName, "h.mp4");
            MediaBench.Ffmpeg("-f", "lavfi", "-i", "color=c=blue:s=8192x8192:r=2", "-frames:v", "16", "-c:v", "libx264", "-preset", "ultrafast", clip);
            var bytes = await File.ReadAllBytesAsync(clip);
            Console.WriteLine($"clip: 16 frames 8192x8192 H.264 ultrafast, {bytes.Length / 1e3:0} KB; a full-size rgb24 decode of it is {16L * 8192 * 8192 * 3 / 1e9:0.0} GB");

            var port = FreePort();
            using var process = Start(service, port);
            try
            {
                using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(10) };
                await WaitReadyAsync(http);
                await Task.Delay(settle);
                var idle = Rss(process.Id).Current;
                Console.WriteLine($"service idle RSS {idle / 1e6:0} MB (baseline); {concurrency} concurrent uploads per round, {rounds} rounds");

                for (var round = 1; round <= rounds; round++)
                {
                    var watch = Stopwatch.StartNew();
                    using var sampling = new CancellationTokenSource();
                    var peak = SamplePeakAsync(process.Id, sampling.Token);
                    var statuses = await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => UploadAsync(http, bytes)));
                    await sampling.CancelAsync();
                    var roundPeak = await peak;
                    var seconds = watch.Elapsed.TotalSeconds;
                    await Task.Delay(settle);
                    var (retained, highWater) = Rss(process.Id);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"round {round}: {string.Join(",", statuses)} in {seconds:0.0} s; peak RSS {roundPeak / 1e6:0} MB (VmHWM {highWater / 1e6:0} MB), retained {retained / 1e6:0} MB {settle.TotalSeconds:0} s later ({(retained - idle) / 1e6:+0;-0} MB over idle)"));
                }
            }
            finally
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }

            return 0;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static async Task<string> UploadAsync(HttpClient http, byte[] video)
    {
        using var form = new MultipartFormDataContent
        {
            { new StringContent("{\"question\": \"What colour is it?\", \"mode\": \"direct\", \"max_new_tokens\": 1}", Encoding.UTF8, "application/json"), "request" },
        };
        var part = new ByteArrayContent(video);
        part.Headers.ContentType = new MediaTypeHeaderValue("video/mp4");
        form.Add(part, "video", "h.mp4");
        using var response = await http.PostAsync("/v1/answers", form);
        return ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
    }

    private static async Task<long> SamplePeakAsync(int pid, CancellationToken ct)
    {
        long peak = 0;
        while (!ct.IsCancellationRequested)
        {
            peak = Math.Max(peak, Rss(pid).Current);
            await Task.Delay(50, CancellationToken.None);
        }

        return peak;
    }

    /// <summary>VmRSS and VmHWM of a process, in bytes.</summary>
    private static (long Current, long HighWater) Rss(int pid)
    {
        long current = 0, high = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                current = Kilobytes(line) * 1024;
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                high = Kilobytes(line) * 1024;
            }
        }

        return (current, high);
    }

    private static long Kilobytes(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

    private static Process Start(string dll, int port)
    {
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, WorkingDirectory = Path.GetDirectoryName(dll)! };
        foreach (var argument in new[]
        {
            dll, $"--Kestrel:Endpoints:Http:Url=http://127.0.0.1:{port}", $"--Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:{FreePort()}",
            "--Logging:LogLevel:Default=Warning", "--Logging:LogLevel:Microsoft.Extensions.Diagnostics.HealthChecks=None",
        })
        {
            info.ArgumentList.Add(argument);
        }

        return Process.Start(info)!;
    }

    private static async Task WaitReadyAsync(HttpClient http)
    {
        for (var i = 0; i < 1200; i++)
        {
            try
            {
                using var response = await http.GetAsync("/readyz");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(250);
        }

        throw new TimeoutException("the service was not ready within 5 minutes");
    }

    /// <summary>The service's Release build output, found from the repository root above this program.</summary>
    private static string? ServiceDll()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "VideoAutoR1.Service.sln")))
            {
                var dll = Path.Combine(dir.FullName, "src", "VideoAutoR1.Service", "bin", "Release", "net10.0", "linux-x64", "VideoAutoR1.Service.dll");
                return File.Exists(dll) ? dll : null;
            }
        }

        return null;
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
