from servesize.cli import main

main()
