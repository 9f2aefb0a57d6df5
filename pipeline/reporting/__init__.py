"""What the office reads: the dataset (export), its workbook, the chart and the Chinese wording they share."""
