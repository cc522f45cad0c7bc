using System.Net.ServerSentEvents;
using System.Text;
using Microsoft.AspNetCore.Http.Features;

namespace VideoAutoR1.Service.Apis;

/// <summary>
/// A text/event-stream response that sends its headers at once and, while it waits for the next event (media,
/// queue, prefill), a keep-alive comment every <c>keepAlive</c>, so clients and proxies see a live stream from the
/// first moment. Events are written as <c>event:</c> (when named) and one <c>data:</c> line.
/// </summary>
public sealed class EventStreamResult(IAsyncEnumerable<SseItem<string>> items, TimeSpan keepAlive) : IResult
{
    private static readonly byte[] KeepAliveComment = ": keep-alive\n\n"u8.ToArray();

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        var aborted = httpContext.RequestAborted;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache,no-store";
        response.Headers["X-Accel-Buffering"] = "no";
        httpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await response.StartAsync(aborted);
        await response.Body.FlushAsync(aborted);

        var events = items.GetAsyncEnumerator(aborted);
        Task<bool> next = events.MoveNextAsync().AsTask();
        try
        {
            while (true)
            {
                bool hasItem;
                try
                {
                    hasItem = await next.WaitAsync(keepAlive, aborted);
                }
                catch (TimeoutException)
                {
                    await response.Body.WriteAsync(KeepAliveComment, aborted);
                    await response.Body.FlushAsync(aborted);
                    continue;
                }

                if (!hasItem)
                {
                    return;
                }

                await response.Body.WriteAsync(Format(events.Current), aborted);
                await response.Body.FlushAsync(aborted);
                next = events.MoveNextAsync().AsTask();
            }
        }
        finally
        {
            // The pending move ends soon after an abort (the engine frees the request); only then may the stream be disposed.
            await ((Task)next).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await events.DisposeAsync();
        }
    }

    private static byte[] Format(SseItem<string> item)
    {
        var text = new StringBuilder();
        if (item.EventType is { Length: > 0 } name && name != SseParser.EventTypeDefault)
        {
            text.Append("event: ").Append(name).Append('\n');
        }

        foreach (var line in item.Data.Split('\n'))
        {
            text.Append("data: ").Append(line).Append('\n');
        }

        return Encoding.UTF8.GetBytes(text.Append('\n').ToString());
    }
}
