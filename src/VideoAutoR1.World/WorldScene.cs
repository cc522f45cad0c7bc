using System.Globalization;
using VideoAutoR1.Core;
using VideoAutoR1.Core.Grammar;
using VideoAutoR1.Core.Prompting;

namespace VideoAutoR1.World;

/// <summary>The question families of the synthetic world, each a kind of looking the model has to learn.</summary>
public enum WorldFamily
{
    /// <summary>One solid colour: which one.</summary>
    Colour,

    /// <summary>One lavfi test source: which one.</summary>
    Pattern,

    /// <summary>A white square crossing a black frame: towards which side.</summary>
    Motion,

    /// <summary>One-second coloured screens: how many are of a colour (a rationale that lists them helps).</summary>
    Count,

    /// <summary>A green stretch on a gray screen: when, in whole seconds.</summary>
    Grounding,

    /// <summary>One-second coloured screens: which colour comes right after a given one (listing them helps).</summary>
    Order,
}

/// <summary>Frame size, rate and length of one clip (even sides, so yuv420p needs no padding).</summary>
public sealed record ClipFormat(int Width, int Height, int Fps, int Seconds)
{
    public string Size => $"{Width}x{Height}";
}

/// <summary>
/// One clip of the world and the question asked about it. <see cref="Description"/> says everything the pixels
/// show (it decides the split and the file name); <see cref="Filtergraph"/> renders exactly that with ffmpeg's lavfi
/// sources, so anyone with ffmpeg can make the clip again from the description.
/// </summary>
public abstract record WorldScene(WorldFamily Family, ClipFormat Format)
{
    /// <summary>The colours of the count and order families' screens.</summary>
    public static readonly IReadOnlyList<string> SequenceColours = ["red", "green", "blue", "yellow"];

    /// <summary>The text a user sends as <c>question</c> (the prompt builder adds the task's template).</summary>
    public abstract string Question { get; }

    /// <summary>Option texts in the world's canonical order (empty for numeric and grounding questions).</summary>
    public virtual IReadOnlyList<string> Options => [];

    public abstract TaskKind Kind { get; }

    /// <summary>The ground truth in the evaluation format: an option letter, a number or <c>[start, end]</c>.</summary>
    public abstract string Answer { get; }

    /// <summary>What the model should put in the first box: the answer, or the fallback where it cannot be seen at a glance.</summary>
    public virtual string FirstAnswer => Answer;

    /// <summary>A short internal monologue that leads from the pixels to the answer.</summary>
    public abstract string Rationale { get; }

    /// <summary>What the pixels show, in words; equal descriptions render equal clips.</summary>
    public abstract string Description { get; }

    /// <summary>SHA-256 of <see cref="Description"/>: it names the clip's file and decides its split.</summary>
    public byte[] DescriptionHash => System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Description));

    /// <summary>The ffmpeg <c>-filter_complex</c> graph whose output <c>[v]</c> is the clip.</summary>
    public abstract string Filtergraph { get; }

    /// <summary>The completion the warm-up teaches: <c>\boxed{a1}&lt;think&gt;rationale&lt;/think&gt;\boxed{a2}</c>.</summary>
    public string Completion =>
        $"{AnswerTemplate.BoxOpen}{FirstAnswer}}}{AnswerTemplate.ThinkOpen}{Rationale}{AnswerTemplate.ThinkClose}{AnswerTemplate.BoxOpen}{Answer}}}";

    public QuestionSpec Spec => new(Question, Options, Kind);

    /// <summary>Option letter of <paramref name="text"/> among <see cref="Options"/>.</summary>
    protected string LetterOf(string text)
    {
        var index = Options.ToList().IndexOf(text);
        return index < 0 ? throw new InvalidOperationException($"'{text}' is not an option") : UserPrompts.Letter(index).ToString();
    }

    protected string LavfiSource(string name) =>
        $"{name}=s={Format.Size}:r={Format.Fps}";

    /// <summary>A run of one-second screens, concatenated.</summary>
    protected string Screens(IReadOnlyList<string> colours) =>
        string.Concat(colours.Select((c, i) => $"color=c={c}:s={Format.Size}:r={Format.Fps}:d=1[s{i}];"))
        + string.Concat(colours.Select((_, i) => $"[s{i}]")) + $"concat=n={colours.Count}:v=1:a=0,format=yuv420p[v]";

    protected static string List(IReadOnlyList<string> colours) => string.Join(", ", colours);

    protected static string Number(double value) => value.ToString(CultureInfo.InvariantCulture);
}

public sealed record ColourScene(ClipFormat Format, string Colour, IReadOnlyList<string> Choices) : WorldScene(WorldFamily.Colour, Format)
{
    public static readonly IReadOnlyList<string> Palette = ["red", "green", "blue", "yellow", "white", "black", "orange", "purple"];

    public override string Question => "What colour is the screen?";

    public override IReadOnlyList<string> Options => Choices;

    public override TaskKind Kind => TaskKind.MultipleChoice;

    public override string Answer => LetterOf(Colour);

    public override string Rationale => $"The whole screen is one solid colour, {Colour}. That is option {Answer}.";

    public override string Description => $"colour {Colour} {Format.Size} {Format.Fps}fps {Format.Seconds}s options {List(Choices)}";

    public override string Filtergraph => $"color=c={Colour}:s={Format.Size}:r={Format.Fps}:d={Format.Seconds},format=yuv420p[v]";
}

public sealed record PatternScene(ClipFormat Format, string Source) : WorldScene(WorldFamily.Pattern, Format)
{
    /// <summary>The lavfi source of each option text, in the canonical order.</summary>
    public static readonly IReadOnlyList<(string Source, string Text)> Sources =
    [
        ("smptebars", "colour bars"),
        ("testsrc", "a test pattern with a counter"),
        ("mandelbrot", "a fractal"),
        ("cellauto", "a cellular automaton"),
    ];

    public override string Question => "What is shown in the video?";

    public override IReadOnlyList<string> Options => Sources.Select(s => s.Text).ToArray();

    public override TaskKind Kind => TaskKind.MultipleChoice;

    public string Text => Sources.Single(s => s.Source == Source).Text;

    public override string Answer => LetterOf(Text);

    public override string Rationale => $"The frames show {Text}. That is option {Answer}.";

    public override string Description => $"pattern {Source} {Format.Size} {Format.Fps}fps {Format.Seconds}s";

    // mandelbrot and cellauto take no duration, so every source is cut by trim.
    public override string Filtergraph => $"{LavfiSource(Source)},trim=duration={Format.Seconds},format=yuv420p[v]";
}

/// <summary>A white square of side <paramref name="Side"/> from one edge to the opposite one at constant speed; <paramref name="Offset"/> places it across the motion.</summary>
public sealed record MotionScene(ClipFormat Format, string Direction, int Side, int Offset) : WorldScene(WorldFamily.Motion, Format)
{
    public static readonly IReadOnlyList<string> Directions = ["left", "right", "up", "down"];

    public override string Question => "In which direction does the white square move?";

    public override IReadOnlyList<string> Options => Directions;

    public override TaskKind Kind => TaskKind.MultipleChoice;

    public override string Answer => LetterOf(Direction);

    public override string Rationale => Direction switch
    {
        "left" => "The square starts at the right edge and ends at the left edge.",
        "right" => "The square starts at the left edge and ends at the right edge.",
        "up" => "The square starts at the bottom edge and ends at the top edge.",
        _ => "The square starts at the top edge and ends at the bottom edge.",
    } + $" It moves {Direction}, option {Answer}.";

    public override string Description => $"motion {Direction} square {Side} at {Offset} {Format.Size} {Format.Fps}fps {Format.Seconds}s";

    public override string Filtergraph
    {
        get
        {
            // t runs over [0, Seconds): the square touches the start edge at 0 and the end edge at the last frame.
            var span = Number(Format.Seconds - (1.0 / Format.Fps));
            var (x, y) = Direction switch
            {
                "right" => ($"(W-w)*t/{span}", $"{Offset}"),
                "left" => ($"(W-w)*(1-t/{span})", $"{Offset}"),
                "down" => ($"{Offset}", $"(H-h)*t/{span}"),
                _ => ($"{Offset}", $"(H-h)*(1-t/{span})"),
            };
            return $"color=c=black:s={Format.Size}:r={Format.Fps}:d={Format.Seconds}[bg];"
                + $"color=c=white:s={Side}x{Side}:r={Format.Fps}:d={Format.Seconds}[sq];"
                + $"[bg][sq]overlay=x='{x}':y='{y}':eval=frame,format=yuv420p[v]";
        }
    }
}

public sealed record CountScene(ClipFormat Format, IReadOnlyList<string> Colours, string Target) : WorldScene(WorldFamily.Count, Format)
{
    /// <summary>From this many screens on, the model is taught to reason before it answers (the fallback as a1).</summary>
    public const int FallbackFrom = 6;

    public int Count => Colours.Count(c => c == Target);

    public override string Question =>
        $"The video shows a sequence of coloured screens, one per second. How many of them are {Target}?";

    public override TaskKind Kind => TaskKind.Numeric;

    public override string Answer => Number(Count);

    public override string FirstAnswer => Colours.Count >= FallbackFrom ? AnswerTemplate.FallbackAnswer : Answer;

    public override string Rationale => $"The screens are {List(Colours)}. {Capitalised(Target)} appears {Count} times.";

    public override string Description => $"count {Target} in {List(Colours)} {Format.Size} {Format.Fps}fps";

    public override string Filtergraph => Screens(Colours);

    private static string Capitalised(string word) => char.ToUpperInvariant(word[0]) + word[1..];
}

/// <summary>A gray clip with one green stretch from <paramref name="Start"/> to <paramref name="End"/> seconds.</summary>
public sealed record GroundingScene(ClipFormat Format, int Start, int End) : WorldScene(WorldFamily.Grounding, Format)
{
    public override string Question => "the screen turns green.";

    public override TaskKind Kind => TaskKind.TemporalGrounding;

    public override string Answer => $"[{Start}.0, {End}.0]";

    public override string Rationale => $"The screen is gray, then green from second {Start} to second {End}.";

    public override string Description => $"grounding green {Start}-{End} of {Format.Seconds}s {Format.Size} {Format.Fps}fps";

    public override string Filtergraph =>
        $"color=c=gray:s={Format.Size}:r={Format.Fps}:d={Format.Seconds}[bg];"
        + $"color=c=green:s={Format.Size}:r={Format.Fps}:d={Format.Seconds}[fg];"
        + $"[bg][fg]overlay=enable='between(t,{Start},{End - (0.5 / Format.Fps)})',format=yuv420p[v]";
}

public sealed record OrderScene(ClipFormat Format, IReadOnlyList<string> Colours, int Index) : WorldScene(WorldFamily.Order, Format)
{
    public string Anchor => Colours[Index];

    public string Next => Colours[Index + 1];

    public override string Question =>
        $"The video shows a sequence of coloured screens, one per second. Which colour comes right after the {Anchor} screen?";

    public override IReadOnlyList<string> Options => SequenceColours;

    public override TaskKind Kind => TaskKind.MultipleChoice;

    public override string Answer => LetterOf(Next);

    public override string Rationale => $"The screens are {List(Colours)}. After {Anchor} comes {Next}, option {Answer}.";

    public override string Description => $"order after {Anchor} in {List(Colours)} {Format.Size} {Format.Fps}fps";

    public override string Filtergraph => Screens(Colours);
}
