Console.WriteLine("videoautor1: no commands yet");
return 1;
