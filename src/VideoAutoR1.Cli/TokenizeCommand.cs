using System.CommandLine;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;
using VideoAutoR1.Core;
using VideoAutoR1.Core.Tokenization;

namespace VideoAutoR1.Cli;

/// <summary>
/// <c>tokenize --tokenizer DIR --jsonl FILE|-</c>: for each line <c>{"text": ...}</c> prints the same object with
/// <c>"ids"</c> (encoded without BOS/EOS, added tokens whole) and <c>"decoded"</c> (ids decoded back, special tokens
/// kept) set; other fields are kept in place.
/// </summary>
public static class TokenizeCommand
{
    // Readable output: no \uXXXX for apostrophes, '<' or non-ASCII text (this is not embedded in HTML).
    private static readonly JsonSerializerOptions Output = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create()
    {
        var tokenizerDirectory = CliOptions.Text("--tokenizer", "directory holding tokenizer.json (and tokenizer_config.json)", required: true);
        var jsonl = CliOptions.Text("--jsonl", "input JSONL file, or - for stdin", required: true);
        var command = new Command("tokenize", "encode {\"text\"} JSONL lines with a checkpoint's tokenizer.json") { tokenizerDirectory, jsonl };
        command.SetAction((parse, _) => RunAsync(parse.GetValue(tokenizerDirectory)!, parse.GetValue(jsonl)!));
        return command;
    }

    private static async Task<int> RunAsync(string tokenizerDirectory, string path)
    {
        var tokenizer = QwenTokenizer.Load(tokenizerDirectory);

        await using var input = path == "-" ? Console.OpenStandardInput() : File.OpenRead(path);
        await using var writer = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { NewLine = "\n" };
        var lineNumber = 0;
        await foreach (var bytes in ReadLinesAsync(input))
        {
            lineNumber++;
            // Strict UTF-8: a corpus with broken bytes is rejected rather than tokenised with U+FFFD in it.
            if (!Utf8.IsValid(bytes))
            {
                throw new VideoQaException(ErrorKind.InvalidArgument, "invalid_utf8", $"{path}: line {lineNumber} is not valid UTF-8");
            }

            var line = Encoding.UTF8.GetString(bytes);
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var item = ParseLine(line, path, lineNumber);
            var ids = tokenizer.Encode(item["text"]!.GetValue<string>());
            item["ids"] = new JsonArray([.. ids.Select(id => JsonValue.Create(id))]);
            item["decoded"] = tokenizer.Decode(ids);
            await writer.WriteLineAsync(item.ToJsonString(Output));
        }

        return 0;
    }

    /// <summary>Lines as raw bytes (without the \n or \r\n), so bad UTF-8 is reported on its own line.</summary>
    private static async IAsyncEnumerable<byte[]> ReadLinesAsync(Stream input)
    {
        var buffer = new byte[64 * 1024];
        var line = new MemoryStream();
        int read;
        while ((read = await input.ReadAsync(buffer)) > 0)
        {
            var chunk = buffer.AsMemory(0, read);
            int newline;
            while ((newline = chunk.Span.IndexOf((byte)'\n')) >= 0)
            {
                line.Write(chunk.Span[..newline]);
                yield return TrimCarriageReturn(line.ToArray());
                line.SetLength(0);
                chunk = chunk[(newline + 1)..];
            }

            line.Write(chunk.Span);
        }

        if (line.Length > 0)
        {
            yield return TrimCarriageReturn(line.ToArray());
        }
    }

    private static byte[] TrimCarriageReturn(byte[] line) => line is [.., (byte)'\r'] ? line[..^1] : line;

    private static JsonObject ParseLine(string line, string path, int lineNumber)
    {
        try
        {
            if (JsonNode.Parse(line) is JsonObject item && item["text"] is JsonValue text && text.GetValueKind() == JsonValueKind.String)
            {
                return item;
            }
        }
        catch (JsonException error)
        {
            throw new VideoQaException(ErrorKind.InvalidArgument, "invalid_jsonl", $"{path}: line {lineNumber}: {error.Message}", error);
        }

        throw new VideoQaException(ErrorKind.InvalidArgument, "invalid_jsonl", $"{path}: line {lineNumber} is not an object with a string \"text\"");
    }
}
