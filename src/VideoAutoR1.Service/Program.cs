using VideoAutoR1.Service;

var builder = WebApplication.CreateBuilder(args);
builder.AddVideoQaService();

var app = builder.Build();
app.MapVideoQaService();
app.Run();

/// <summary>Entry point; public for WebApplicationFactory in the tests.</summary>
public partial class Program;
