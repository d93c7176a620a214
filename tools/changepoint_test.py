import unittest

from changepoint import change_points


class ChangePointTest(unittest.TestCase):
    def test_flat_noisy_series_has_none(self):
        series = [40.0, 41.2, 39.5, 40.8, 39.9, 40.3, 41.0, 39.7]
        self.assertEqual(change_points(series), [])

    def test_fall_and_recovery_are_two_changes(self):
        # phase7, fg, e1 high; e2 .. e3_2 low; e3 high again.
        series = [26.0, 26.2, 25.8, 16.0, 15.8, 16.3, 40.0, 39.5]
        self.assertEqual(change_points(series), [3, 6])

    def test_single_step(self):
        self.assertEqual(change_points([10, 10.2, 9.9, 10.1, 20, 20.3, 19.8, 20.1]), [4])

    def test_small_steps_below_min_step_are_ignored(self):
        self.assertEqual(change_points([10, 10, 10, 10.5, 10.5, 10.5], min_step=0.10), [])

    def test_rejects_non_positive(self):
        with self.assertRaises(ValueError):
            change_points([1, 0, 2])


if __name__ == "__main__":
    unittest.main()
