"""Program monitoring: the plans' targets as data, who answers for each, and how progress towards them is judged."""
