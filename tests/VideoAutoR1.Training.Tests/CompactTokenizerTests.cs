using VideoAutoR1.Core.Tokenization;
using VideoAutoR1.Engine;
using VideoAutoR1.World;

namespace VideoAutoR1.Training.Tests;

public sealed class CompactTokenizerTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("videoautor1-compact-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void The_corpus_encodes_to_the_full_tokenizers_tokens_and_any_text_still_round_trips()
    {
        var scenes = WorldGenerator.Generate(WorldSplit.Train, 30, seed: 2);
        var corpus = TrainingData.Corpus(scenes).ToArray();
        var size = CompactTokenizer.Write(DefaultModel.TokenizerSourceDirectory, corpus, _directory);
        var full = QwenTokenizer.Load(DefaultModel.TokenizerSourceDirectory);
        var compact = QwenTokenizer.Load(_directory);

        Assert.Equal(size, compact.VocabularySize);
        Assert.InRange(size, 300, 3000);

        // Unseen scenes of the world (other seed, other split) as well as the corpus itself.
        foreach (var text in corpus.Concat(TrainingData.Corpus(WorldGenerator.Generate(WorldSplit.Test, 10, seed: 9))))
        {
            Assert.Equal(Tokens(full, text), Tokens(compact, text));
        }

        foreach (var text in new[] { "Qu'est-ce que c'est? 日本語のビデオ 🎥\t\r\n  x", "What colour is the ball?", "<think>" })
        {
            Assert.Equal(text, compact.Decode(compact.Encode(text)));
        }

        // The markers the prompt and the engine need are there, under new ids read from the files.
        Assert.Equal(compact.TokenToId("<|video_pad|>"), compact.Special.VideoPad);
        Assert.NotNull(compact.Special.Think);
        Assert.True(compact.Special.VideoPad < size);
    }

    private static string[] Tokens(QwenTokenizer tokenizer, string text) =>
        tokenizer.Encode(text).Select(id => tokenizer.Decode([id])).ToArray();
}
