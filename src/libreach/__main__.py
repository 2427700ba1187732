from libreach.cli import main

main()
