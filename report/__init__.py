"""lfmdoctor.report"""
