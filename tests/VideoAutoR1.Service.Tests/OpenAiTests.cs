using System.Text.Json;

namespace VideoAutoR1.Service.Tests;

/// <summary>POST /v1/chat/completions driven by the official openai npm client.</summary>
[Collection(DefaultServerCollection.Name)]
public sealed class OpenAiTests(VideoQaServer server)
{
    [Fact]
    public async Task Openai_client_gets_completions_streams_and_problem_details()
    {
        var result = await NodeClient.RunAsync("openai-client.mjs", server.HttpAddress.ToString().TrimEnd('/'), RepoPaths.SampleVideo);

        Assert.Single(result.GetProperty("models").EnumerateArray());

        var completion = result.GetProperty("completion");
        Assert.Equal("chat.completion", completion.GetProperty("object").GetString());
        var choice = completion.GetProperty("choices")[0];
        Assert.Equal("assistant", choice.GetProperty("message").GetProperty("role").GetString());
        Assert.Equal(JsonValueKind.String, choice.GetProperty("message").GetProperty("content").ValueKind);
        Assert.Contains(choice.GetProperty("finish_reason").GetString(), new[] { "stop", "length" });
        var usage = completion.GetProperty("usage");
        Assert.InRange(usage.GetProperty("completion_tokens").GetInt32(), 1, 6);
        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt32() + usage.GetProperty("completion_tokens").GetInt32(), usage.GetProperty("total_tokens").GetInt32());
        var extension = completion.GetProperty("videoautor1");
        foreach (var member in new[] { "a1", "a2", "confidence", "thought", "final_answer", "request_id" })
        {
            Assert.True(extension.TryGetProperty(member, out _), member);
        }

        var chunks = result.GetProperty("chunks").EnumerateArray().ToList();
        Assert.True(chunks.Count >= 2);
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.Equal("assistant", chunks[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        var last = chunks[^1];
        Assert.Contains(last.GetProperty("choices")[0].GetProperty("finish_reason").GetString(), new[] { "stop", "length" });
        Assert.True(last.GetProperty("videoautor1").TryGetProperty("a1", out _));

        var error = result.GetProperty("error");
        Assert.Equal(400, error.GetProperty("status").GetInt32());
        Assert.Contains("threshold_out_of_range", error.GetProperty("body").ToString());
    }
}
