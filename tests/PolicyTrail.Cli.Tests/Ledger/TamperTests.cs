using System.Text;
using PolicyTrail.Cli.Tests.Support;
using PolicyTrail.Ledger.Checkpoints;

namespace PolicyTrail.Cli.Tests.Ledger;

/// <summary>Every kind of change to the DuckDB file made with SQL is caught by <c>policytrail verify</c>, naming the right place.</summary>
public sealed class TamperTests(LedgerFixture ledger) : IClassFixture<LedgerFixture>
{
    private static async Task<CliResult> Verify(string store) => await CliRunner.RunAsync("verify", "--store", store);

    // Verify of a copy of the fixture store changed by the given SQL statements.
    private async Task<CliResult> Tampered(params string[] statements) => await VerifyAfter(ledger.Copy(), statements);

    private static async Task<CliResult> VerifyAfter(string store, params string[] statements)
    {
        LedgerFixture.Execute(store, statements);
        return await Verify(store);
    }

    [Fact]
    public async Task The_untouched_store_verifies()
    {
        var r = await Verify(ledger.Copy());
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        Assert.Matches($"^OK .*: {ledger.Size} entries, [0-9]+ checkpoints, latest root [0-9a-f]{{64}} ", r.Stdout);
        Assert.True(ledger.Size > 3000, $"{ledger.Size} entries");
    }

    [Theory]
    [InlineData("UPDATE entries SET dst_port = dst_port + 1 WHERE idx = 1500", "entry 1500: its content does not hash")]
    [InlineData("UPDATE entries SET event_time = event_time + 1000 WHERE idx = 42", "entry 42: its content does not hash")]
    [InlineData("UPDATE entries SET sha256_2 = xor(sha256_2, 1::UBIGINT) WHERE idx = 2999", "entry 2999: its content does not hash")]
    [InlineData("UPDATE entries SET src = (SELECT max(src) FROM entries) WHERE idx = 100 AND src <> (SELECT max(src) FROM entries)", "entry 100: its content does not hash")]
    [InlineData("UPDATE entries SET body = body || ' '::BLOB WHERE idx = 5 AND body IS NOT NULL", "entry 5: its content does not hash")]
    [InlineData("ALTER TABLE entries ALTER COLUMN template DROP NOT NULL; UPDATE entries SET template = NULL WHERE idx = 2100", "entry 2100: its content does not hash")]
    [InlineData("UPDATE entries SET sha256_0 = NULL WHERE idx = 777", "entry 777: its content does not hash")]
    public async Task An_edited_field_is_named_by_its_entry(string sql, string expected)
    {
        var r = await Tampered(sql);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(expected, r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_edited_day_summary_fails_verify_and_the_answers_it_changed_come_back_after_a_rebuild()
    {
        var store = ledger.Copy();
        var before = await CliRunner.RunAsync("talkers", "--store", store, "-o", "json");
        var r = await VerifyAfter(store, "UPDATE flow_days SET attempts = attempts + 1000 WHERE rowid = (SELECT min(rowid) FROM flow_days WHERE dst IS NOT NULL)");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("day summary (table flow_days) differs from a recount of the entries in 1 (day, group) key", r.Stdout, StringComparison.Ordinal);
        // The edit shows in the answers (they read the summary); emptying its state has the next writable open rebuild it.
        Assert.NotEqual(before.Stdout, (await CliRunner.RunAsync("talkers", "--store", store, "-o", "json")).Stdout);
        LedgerFixture.Execute(store, "DELETE FROM flow_days_state");
        PolicyTrail.Ledger.DuckDb.DuckDbLedgerStore.Open(store).Dispose();
        Assert.Equal(0, (await Verify(store)).ExitCode);
        Assert.Equal(before.Stdout, (await CliRunner.RunAsync("talkers", "--store", store, "-o", "json")).Stdout);
    }

    [Fact]
    public async Task A_zeroed_leaf_tag_is_named_by_its_entry()
    {
        var r = await Tampered("UPDATE entries SET leaf_tag = 0 WHERE idx = 1500");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("entry 1500", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_edited_field_with_a_recomputed_leaf_tag_is_caught_by_the_recorded_subtree_hash()
    {
        var store = ledger.Copy();
        // The attacker edits a field and writes the tag that matches the edited entry: the per-entry check passes, the
        // 1,024-entry subtree recorded at append (and the signed root) do not.
        uint tag;
        using (var duck = PolicyTrail.Ledger.DuckDb.DuckDbLedgerStore.Open(store, readOnly: true))
        {
            var fragments = new PolicyTrail.Ledger.Entries.FragmentTable(duck.ReadFragments());
            var row = duck.ReadEntries(1500, 1501).Single();
            row.DstPort += 1;
            var leaf = PolicyTrail.Ledger.Merkle.MerkleHash.Leaf(PolicyTrail.Ledger.Entries.EntryTemplates.Rebuild(row, fragments));
            tag = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(leaf);
        }
        var r = await VerifyAfter(store, $"UPDATE entries SET dst_port = dst_port + 1, leaf_tag = {tag} WHERE idx = 1500");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("entries 1024..2047: recorded subtree hash differs", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_deleted_row_is_named()
    {
        var r = await Tampered("DELETE FROM entries WHERE idx = 700");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("entry 700 is missing", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_inserted_row_is_named()
    {
        var r = await Tampered("INSERT INTO entries SELECT * FROM entries WHERE idx = 900");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("entry 900 appears more than once", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rows_moved_in_storage_but_not_in_index_still_verify()
    {
        // Verify reads rows in the order they are stored first; rows stored out of index order (a row deleted and put
        // back, content unchanged) are read again in index order, where the log is intact.
        var r = await Tampered(
            "CREATE TABLE moved AS SELECT * FROM entries WHERE idx IN (900, 2500)",
            "DELETE FROM entries WHERE idx IN (900, 2500)",
            "INSERT INTO entries SELECT * FROM moved ORDER BY idx DESC",
            "DROP TABLE moved");
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        Assert.Matches($"^OK .*: {ledger.Size} entries, ", r.Stdout);
    }

    [Fact]
    public async Task An_edited_entry_behind_a_moved_row_is_named_in_index_order()
    {
        // Stored order meets entry 1001 where 1000 belongs (1000 was moved to the end) and would call 1000 missing; in
        // index order nothing is missing and the edited 1500 is what is wrong.
        var r = await Tampered(
            "CREATE TABLE moved AS SELECT * FROM entries WHERE idx = 1000",
            "DELETE FROM entries WHERE idx = 1000",
            "INSERT INTO entries SELECT * FROM moved",
            "DROP TABLE moved",
            "UPDATE entries SET dst_port = dst_port + 1 WHERE idx = 1500");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("entry 1500: its content does not hash", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_row_appended_after_the_last_checkpoint_is_named()
    {
        var r = await Tampered($"INSERT INTO entries SELECT * REPLACE ({ledger.Size} AS idx) FROM entries WHERE idx = 5");
        Assert.True(r.ExitCode == 1, r.Stdout);
        // The copied row carries another entry's content and tag: the rebuilt entry (with its new index) gives it away.
        Assert.Contains($"entry {ledger.Size}:", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_swapped_rows_are_named_by_the_first()
    {
        var r = await Tampered("UPDATE entries SET idx = CASE idx WHEN 100 THEN 200 ELSE 100 END WHERE idx IN (100, 200)");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("entry 100: its content does not hash", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Truncated_entries_are_named()
    {
        var r = await Tampered($"DELETE FROM entries WHERE idx >= {ledger.Size - 50}");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"entries {ledger.Size - 50}..{ledger.Size - 1} were deleted (truncated)", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dropped_last_checkpoint_is_caught()
    {
        var r = await Tampered("DELETE FROM checkpoints WHERE sequence = (SELECT max(sequence) FROM checkpoints)");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("are not covered by any signed checkpoint: the last checkpoint was deleted", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dropped_middle_checkpoint_is_named()
    {
        var r = await Tampered("DELETE FROM checkpoints WHERE sequence = 1");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("checkpoint 1 is missing", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_checkpoint_signed_by_another_key_is_named()
    {
        var store = ledger.Copy();
        string note;
        using (var db = LedgerFixture.Open(store))
        using (var command = db.CreateCommand())
        {
            command.CommandText = "SELECT note FROM checkpoints WHERE sequence = 1";
            note = (string)command.ExecuteScalar()!;
        }
        var text = note[..(note.IndexOf("\n\n", StringComparison.Ordinal) + 1)];
        var keyName = NoteVerifier.FromKey(File.ReadAllText(Path.Combine(Path.GetDirectoryName(store)!, "policytrail.pub")).Trim()).Name;
        var (forger, _) = NoteKeys.Generate(keyName);
        using var signer = NoteSigner.FromKey(forger);
        var forged = Encoding.UTF8.GetString(SignedNote.Sign(text, signer)).Replace("'", "''", StringComparison.Ordinal);
        LedgerFixture.Execute(store, $"UPDATE checkpoints SET note = '{forged}' WHERE sequence = 1");
        var r = await Verify(store);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("checkpoint 1 (size", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("signature does not verify", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_edited_template_is_named_by_the_first_entry_that_uses_it()
    {
        var store = ledger.Copy();
        long first;
        using (var db = LedgerFixture.Open(store))
        {
            first = LedgerFixture.Scalar(db, "SELECT min(idx) FROM entries WHERE template = (SELECT template FROM entries WHERE idx = 3)");
        }
        LedgerFixture.Execute(store, "UPDATE fragments SET text = text || ' '::BLOB WHERE id = (SELECT template FROM entries WHERE idx = 3)");
        var r = await Verify(store);
        Assert.True(r.ExitCode == 1, r.Stdout + r.Stderr);
        Assert.Contains($"entry {first}:", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Queries_filter_on_the_templates_text_not_on_columns_derived_from_it()
    {
        var store = ledger.Copy();
        var before = await CliRunner.RunAsync("query", "--store", store, "--verdict", "deny", "-o", "jsonl");
        var beforePod = await CliRunner.RunAsync("query", "--store", store, "--pod", "payments/postgres-0", "-o", "jsonl");
        Assert.NotEmpty(before.StdoutLines);
        Assert.NotEmpty(beforePod.StdoutLines);
        LedgerFixture.Execute(store, "UPDATE fragments SET verdict = 1, namespace = 'elsewhere', pod = NULL");
        var after = await CliRunner.RunAsync("query", "--store", store, "--verdict", "deny", "-o", "jsonl");
        var afterPod = await CliRunner.RunAsync("query", "--store", store, "--pod", "payments/postgres-0", "-o", "jsonl");
        Assert.Equal(before.Stdout, after.Stdout);
        Assert.Equal(beforePod.Stdout, afterPod.Stdout);
    }

    [Fact]
    public async Task A_log_cut_back_with_its_last_checkpoints_passes_alone_but_not_against_a_kept_checkpoint()
    {
        var store = ledger.Copy();
        var kept = Path.Combine(Path.GetDirectoryName(store)!, "kept.note");
        var save = await CliRunner.RunAsync("verify", "--store", store, "--save-checkpoint", kept);
        Assert.True(save.ExitCode == 0, save.Stdout + save.Stderr);
        var note = File.ReadAllText(kept);
        Assert.Contains($"\n{ledger.Size}\n", note, StringComparison.Ordinal);
        Assert.Contains("\n\n\u2014 ", note, StringComparison.Ordinal);

        long cut;
        using (var db = LedgerFixture.Open(store))
        {
            cut = LedgerFixture.Scalar(db, "SELECT size FROM checkpoints WHERE sequence = 1");
        }
        LedgerFixture.Execute(store,
            $"DELETE FROM entries WHERE idx >= {cut}",
            "DELETE FROM checkpoints WHERE sequence >= 2",
            $"UPDATE meta SET size = {cut}");
        // The day summary still counts the cut entries, so verify sees the cut; a careful forger empties it too.
        Assert.Contains("day summary (table flow_days) differs", (await Verify(store)).Stdout, StringComparison.Ordinal);
        LedgerFixture.Execute(store, "DELETE FROM flow_days", "DELETE FROM flow_days_state");
        var alone = await Verify(store);
        Assert.True(alone.ExitCode == 0, alone.Stdout);
        var against = await CliRunner.RunAsync("verify", "--store", store, "--checkpoint", kept);
        Assert.Equal(1, against.ExitCode);
        Assert.Contains($"a kept checkpoint covers {ledger.Size} entries but the store holds {cut}", against.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_proof_verifies_offline_and_fails_for_another_key_or_a_changed_entry()
    {
        var store = ledger.Copy();
        var proofPath = Path.Combine(Path.GetDirectoryName(store)!, "proof.json");
        var prove = await CliRunner.RunAsync("prove", "--store", store, "--entry", "1234", "-o", proofPath);
        Assert.True(prove.ExitCode == 0, prove.Stderr);
        var key = Path.Combine(Path.GetDirectoryName(store)!, "policytrail.pub");
        var ok = await CliRunner.RunAsync("verify-proof", proofPath, "--key", key);
        Assert.True(ok.ExitCode == 0, ok.Stdout + ok.Stderr);
        Assert.StartsWith("OK ", ok.Stdout, StringComparison.Ordinal);

        var (_, otherKey) = NoteKeys.Generate(NoteVerifier.FromKey(File.ReadAllText(key).Trim()).Name);
        var other = await CliRunner.RunAsync("verify-proof", proofPath, "--key", otherKey);
        Assert.Equal(1, other.ExitCode);

        var text = File.ReadAllText(proofPath);
        File.WriteAllText(proofPath, text.Replace("\"index\":1234", "\"index\":1235", StringComparison.Ordinal));
        var changed = await CliRunner.RunAsync("verify-proof", proofPath, "--key", key);
        Assert.Equal(1, changed.ExitCode);
        Assert.Contains("the entry does not hash to leafHash", changed.Stdout, StringComparison.Ordinal);
    }
}
