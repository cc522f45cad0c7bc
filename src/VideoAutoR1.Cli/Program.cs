using VideoAutoR1.Cli;

// One file per subcommand (*Command.cs, a static Create() returning its System.CommandLine Command with typed options
// and its action) and one line here; CliApp keeps the error and exit-code contract for all of them.
return await CliApp.RunAsync(args,
[
    AskCommand.Create(),
    ParityCommand.Create(),
    TokenizeCommand.Create(),
    EvalCommand.Create(),
    CalibrateCommand.Create(),
    VideoCommand.Create(),
    DeviceCheckCommand.Create(),
    WorldCommand.Create(),
    TrainCommand.Create(),
]);
