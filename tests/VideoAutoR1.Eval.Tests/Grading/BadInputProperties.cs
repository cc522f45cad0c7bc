using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using VideoAutoR1.Core;
using VideoAutoR1.Core.Prompting;
using VideoAutoR1.Eval.Grading;

namespace VideoAutoR1.Eval.Tests.Grading;

/// <summary>Whatever a caller sends, the text layer answers with a result or a typed InvalidArgument, never another exception.</summary>
public sealed class BadInputProperties
{
    private static readonly PromptBuilder Builder = new(new PromptOptions { MaxOptions = 5, MaxTextLength = 200 });
    private static readonly AnswerGrader Grader = new();
    private static readonly DualAnswerReward Reward = new();

    private static readonly Gen<string> Text =
        Gen.OneOf(
            ArbMap.Default.GeneratorFor<string>().Select(s => s ?? ""),
            Gen.Elements("", " ", "A", "b.", "(C)", "[1.5, 2.5]", "B <> [1, 2]", "\\frac{1}{2}", "12", "\uD800", "<|im_end|>", "x <> y <> z", "[2, 1]"));

    private static readonly Arbitrary<(string Question, string[] Options, TaskKind Kind, int VideoTokens, string Answer, string Output)> Requests =
        (from question in Text
         from options in Gen.Frequency((9, Text.ArrayOf()), (1, Gen.Constant<string[]>(null!)))
         from kind in Gen.Choose(-1, 5)
         from videoTokens in Gen.Choose(-2, 50)
         from answer in Text
         from output in Text
         select (question, options, (TaskKind)kind, videoTokens, answer, output))
            .ToArbitrary();

    private static bool TypedOrOk(Action action)
    {
        try
        {
            action();
            return true;
        }
        catch (VideoQaException error)
        {
            return error.Kind == ErrorKind.InvalidArgument && error.Code.Length > 0;
        }
    }

    [Property(MaxTest = 1000)]
    public Property Prompt_grading_and_reward_throw_only_typed_invalid_argument() =>
        Prop.ForAll(Requests, request =>
        {
            var question = new QuestionSpec(request.Question, request.Options, request.Kind);
            return TypedOrOk(() => Builder.Build(question, request.VideoTokens))
                && TypedOrOk(() =>
                {
                    var truth = GroundTruth.Parse(question, request.Answer);
                    Grader.Grade(question, truth, request.Output);
                    Reward.Compute(request.Output, truth);
                });
        });
}
