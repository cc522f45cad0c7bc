using System.Text.RegularExpressions;
using VideoAutoR1.Core.Grammar;

namespace VideoAutoR1.Core.Tests.Grammar;

public sealed class PythonTextTests
{
    // Python 3: [hex(c) for c in range(0x110000) if chr(c).isspace()]
    private static readonly int[] PythonSpaces =
        [0x9, 0xa, 0xb, 0xc, 0xd, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005,
         0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000];

    [Fact]
    public void Whitespace_is_pythons_and_the_regex_classes_agree()
    {
        var space = new Regex($"^{PythonText.SpaceClass}$");
        var nonSpace = new Regex($"^{PythonText.NonSpaceClass}$");
        for (var c = (char)0; c < char.MaxValue; c++)
        {
            var expected = PythonSpaces.Contains(c);
            Assert.Equal(expected, PythonText.IsSpace(c));
            Assert.Equal(expected, space.IsMatch(c.ToString()));
            Assert.Equal(!expected, nonSpace.IsMatch(c.ToString()));
        }
    }

    [Fact]
    public void Strip_matches_python()
    {
        Assert.Equal("a b", PythonText.Strip("\u001f\u3000 a b\n\u0085"));
        Assert.Equal("a \t", PythonText.LStrip("\u2028a \t"));
        Assert.Equal("\u200ba", PythonText.Strip("\u200ba"));
    }
}
