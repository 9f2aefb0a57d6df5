"""An evaluation set written blind to the parsers: unit summaries as real offices fill the notice's table."""
